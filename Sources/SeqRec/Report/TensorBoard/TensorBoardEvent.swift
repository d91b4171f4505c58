// TensorBoard's `Event` messages (tensorboard/compat/proto/event.proto, summary.proto and the
// hparams plugin's plugin_data.proto), encoded with ProtobufWriter: the file version, scalars
// (`simple_value`, as torch.utils.tensorboard writes them), a session-start marker, and the
// HParams plugin's session start and end.

enum TensorBoardEvent {
    /// The first record of every event file.
    static func fileVersion(wallTime: Double) -> [UInt8] {
        event(wallTime: wallTime, step: 0) { $0.string(3, "brain.Event:2") }
    }

    /// Scalars of one step: `Summary { value { tag, simple_value } ... }`.
    static func scalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Double) -> [UInt8] {
        event(wallTime: wallTime, step: step) { event in
            event.message(5) { summary in
                for (tag, value) in values {
                    summary.message(1) { entry in
                        entry.string(1, tag)
                        entry.float(2, Float(value))
                    }
                }
            }
        }
    }

    /// `SessionLog { status: START }` at `step`: a reader drops what earlier files recorded at
    /// this step and after (TensorBoard's orphaned-data purge), as for a restarted TF job.
    static func sessionStart(step: Int, wallTime: Double) -> [UInt8] {
        event(wallTime: wallTime, step: step) { event in
            event.message(7) { $0.enumeration(1, 1) }
        }
    }

    /// A value of the HParams table: a number, a string or a boolean (google.protobuf.Value).
    enum HParamValue: Equatable {
        case number(Double)
        case string(String)
        case bool(Bool)
    }

    /// The HParams plugin's session start: the run's settings, one column each in the table.
    static func hparamsStart(_ hparams: [(name: String, value: HParamValue)], group: String,
                             startTime: Double, wallTime: Double) -> [UInt8] {
        pluginEvent(tag: "_hparams_/session_start_info", wallTime: wallTime) { data in
            data.message(3) { info in
                for (name, value) in hparams {
                    info.message(1) { entry in
                        entry.string(1, name)
                        entry.message(2) { protobufValue in
                            switch value {
                            case .number(let number): protobufValue.double(2, number)
                            case .string(let text): protobufValue.string(3, text)
                            case .bool(let flag): protobufValue.bool(4, flag)
                            }
                        }
                    }
                }
                info.string(4, group)
                info.double(5, startTime)
            }
        }
    }

    /// The HParams plugin's session end: `STATUS_SUCCESS` (1) or `STATUS_FAILURE` (2).
    static func hparamsEnd(succeeded: Bool, endTime: Double, wallTime: Double) -> [UInt8] {
        pluginEvent(tag: "_hparams_/session_end_info", wallTime: wallTime) { data in
            data.message(4) { info in
                info.enumeration(1, succeeded ? 1 : 2)
                info.double(2, endTime)
            }
        }
    }

    /// A summary value holding only HParams plugin data (HParamsPluginData, version 0) and the
    /// plugin's empty float tensor, as tensorboard.plugins.hparams.summary writes it.
    private static func pluginEvent(tag: String, wallTime: Double, _ build: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var pluginData = ProtobufWriter()
        build(&pluginData)
        return event(wallTime: wallTime, step: 0) { event in
            event.message(5) { summary in
                summary.message(1) { value in
                    value.string(1, tag)
                    value.message(8) { tensor in  // TensorProto: DT_FLOAT, shape [0]
                        tensor.enumeration(1, 1)
                        tensor.message(2) { shape in shape.message(2) { _ in } }
                    }
                    value.message(9) { metadata in
                        metadata.message(1) { plugin in
                            plugin.string(1, "hparams")
                            plugin.data(2, pluginData.bytes)
                        }
                    }
                }
            }
        }
    }

    private static func event(wallTime: Double, step: Int, _ build: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.double(1, wallTime)
        if step != 0 { writer.int64(2, Int64(step)) }  // proto3 leaves a zero out
        build(&writer)
        return writer.bytes
    }

    /// TFRecord framing: length (u64 LE), masked CRC-32C of the length, data, masked CRC-32C of the data.
    static func record(_ data: [UInt8]) -> [UInt8] {
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        let lengthCRC = withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { Array($0) }
        let dataCRC = withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { Array($0) }
        return length + lengthCRC + data + dataCRC
    }
}
