// Every supported file format parsed from small fixtures, and malformed rows reported
// with `file:line` and the exact problem.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Suite struct DataFormatTests {
    @Test func movieLensTabFileIsSortedStablyAndRemappedInNaturalOrder() throws {
        let data = try DataFixtures.load(DataFixtures.spec("small.data", format: .movielens))
        // User 1 has items 20 and 30 tied at t=100: file order (20 before 30) is kept.
        #expect(data.rawUserIds == ["1", "2", "3", "10"])  // numeric, not lexicographic
        #expect(data.rawItemIds == ["<pad>", "10", "20", "30"])
        #expect(data.sequences == [[2, 3, 1], [3, 1], [2], [3]])
        #expect(data.ratings == [[3, 4, 5], [2, 4], [1], [5]])
        #expect(data.timestamps == [[100, 100, 300], [50, 200], [400], [10]])
        #expect(data.numUsers == 4 && data.numItems == 3)
        #expect(data.source.kind == .file && data.source.format == "movielens")
        #expect(data.source.path == DataFixtures.path("small.data"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: DataFixtures.path("small.data")))
        #expect(data.source.sha256 == DatasetVerifier.sha256Hex(bytes))
    }

    @Test func movieLensDatFileIsDetectedByExtension() throws {
        // The fixture mixes \n and \r\n endings and has a blank line.
        let data = try DataFixtures.load(DataFixtures.spec("ratings-small.dat"))
        #expect(data.source.format == "movielens-dat")
        #expect(data.rawItemIds == ["<pad>", "661", "1193", "3068"])
        #expect(data.sequences == [[2, 1], [2, 3]])
        #expect(data.ratings == [[5, 3], [4, 4]])
        #expect(data.timestamps == [[978_300_760, 978_302_109], [978_298_413, 978_299_000]])
    }

    @Test func recBoleInterFileUsesItsTypedHeader() throws {
        let data = try DataFixtures.load(DataFixtures.spec("small.inter"))
        #expect(data.source.format == "recbole")
        #expect(data.rawUserIds == ["u1", "u2"])
        #expect(data.rawItemIds == ["<pad>", "i1", "i2"])
        #expect(data.sequences == [[2, 1], [1]])
        #expect(data.ratings == [[3, 4], [5]])
        #expect(data.timestamps == [[881_250_940, 881_250_949], [881_250_950]])  // 881250950.5 rounds down
    }

    @Test func csvWithColumnMappingQuotingAndMixedTimestamps() throws {
        var columns = ColumnMapping()
        columns.user = "customer"
        columns.item = "product"
        columns.rating = "stars"
        columns.timestamp = "time"
        let data = try DataFixtures.load(DataFixtures.spec("small.csv", columns: columns))
        #expect(data.rawUserIds == ["Smith, Jane", "bob"])
        #expect(data.rawItemIds == ["<pad>", "A-7", "B-1"])
        #expect(data.sequences == [[1, 2], [1, 2]])
        #expect(data.ratings == [[5, 4], [3, 2]])
        // 2021-03-01T09:00Z, 10:00Z; 1614600000 (= 12:00Z), 2021-03-02 (midnight UTC).
        #expect(data.timestamps == [[1_614_589_200, 1_614_592_800], [1_614_600_000, 1_614_643_200]])
    }

    @Test func tsvWithoutMappingUsesDefaultColumnNames() throws {
        let data = try DataFixtures.load(DataFixtures.spec("small.tsv"))
        #expect(data.rawUserIds == ["alice", "bob"])
        #expect(data.sequences == [[2, 1], [1]])
        #expect(data.ratings == [[0, 1], [1]])
        var implicit = DataFixtures.spec("small.tsv")
        implicit.ratingThreshold = 1
        let thresholded = try DataFixtures.load(implicit)
        #expect(thresholded.sequences == [[1], [1]])
        #expect(thresholded.rawItemIds == ["<pad>", "x"])
        #expect(thresholded.stats.removed.ratingThreshold == 1)
    }

    @Test func csvWithoutRatingOrTimestampUsesRowOrderAndRatingOne() throws {
        let bytes = Array("user_id,item_id\nb,x\na,y\nb,z\n".utf8)
        let log = try InteractionFileParser.parse(bytes: bytes, file: "mem.csv", format: .csv, columns: nil)
        #expect(!log.hasRatings && !log.hasTimestamps)
        #expect(log.events.map(\.timestamp) == [0, 1, 2])
        #expect(log.events.map(\.rating) == [1, 1, 1])
    }

    @Test func sasRecLinesKeepLineOrderAsTime() throws {
        let data = try DataFixtures.load(DataFixtures.spec("small-sasrec.txt", format: .sasrec))
        #expect(data.rawItemIds == ["<pad>", "3", "5", "7"])
        #expect(data.sequences == [[2, 1, 3], [2]])
        #expect(data.timestamps == [[0, 1, 3], [2]])
        #expect(data.ratings == [[1, 1, 1], [1]])
    }

    @Test(arguments: [
        ("bad-fields.data", DataFormat?.none, ":2: expected 4 tab-separated fields (user, item, rating, timestamp), found 3"),
        ("bad-fields.data", DataFormat.movielens, ":2: expected 4 tab-separated fields (user, item, rating, timestamp), found 3"),
        ("bad-rating.dat", nil, ":3: rating 'five' is not a number"),
        ("bad-header.inter", nil, ":1: recbole header field 'user_id' is not of the form name:type"),
        ("bad-row.inter", nil, ":3: expected 3 tab-separated fields as in the header, found 2"),
        ("bad-fields.csv", nil, ":4: expected 2 comma-separated fields as in the header, found 3"),
        ("unterminated.csv", nil, ":3: unterminated quoted field"),
        ("missing-column.csv", nil, ":1: header has no user column 'user_id' (columns: user, item)"),
        ("bad-timestamp.tsv", nil, ":3: timestamp 'yesterday' is neither a number nor an ISO 8601 date"),
        ("bad-sasrec.txt", .sasrec, ":2: expected 2 whitespace-separated fields (user item), found 3"),
    ])
    func malformedRowsNameFileLineAndProblem(file: String, format: DataFormat?, expected: String) {
        // A .data file is read as movielens with or without `format` (the first two cases).
        let message = DataFixtures.errorText { _ = try DataFixtures.load(DataFixtures.spec(file, format: format)) }
        #expect(message == DataFixtures.path(file) + expected)
    }

    @Test func inlineMalformedRows() {
        func message(_ text: String, _ format: DataFormat, columns: ColumnMapping? = nil) -> String {
            DataFixtures.errorText {
                _ = try InteractionFileParser.parse(bytes: Array(text.utf8), file: "mem", format: format, columns: columns)
            }
        }
        #expect(message("user_id,item_id\n,x\n", .csv) == "mem:2: empty user id")
        #expect(message("1\t\t4\t5\n", .movielens) == "mem:1: empty item id")
        #expect(message("1::2::3\n", .movielensDat) == "mem:1: expected 4 '::'-separated fields (user::item::rating::timestamp), found 3")
        var columns = ColumnMapping()
        columns.rating = "score"
        #expect(message("user_id,item_id\na,b\n", .csv, columns: columns)
            == "mem:1: header has no rating column 'score' (columns: user_id, item_id)")
        #expect(message("user_id,item_id\n", .csv) == "dataset is empty before filtering: mem has no interaction rows")
        #expect(message("", .sasrec) == "dataset is empty before filtering: mem has no interaction rows")
    }

    @Test func missingFileNamesTheResolvedPath() {
        let message = DataFixtures.errorText { _ = try DataFixtures.load(DataFixtures.spec("../data/nope.csv")) }
        #expect(message == "dataset file not found: \(DataFixtures.directory)/nope.csv")
    }

    @Test func pathsResolveAgainstTheConfigDirectory() {
        #expect(DatasetLoader.resolve("x/../ratings.dat", against: "/cfg/dir") == "/cfg/dir/ratings.dat")
        #expect(DatasetLoader.resolve("/abs/ratings.dat", against: "/cfg/dir") == "/abs/ratings.dat")
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        #expect(DatasetLoader.resolve("~/r.csv", against: "/cfg") == URL(fileURLWithPath: home).appendingPathComponent("r.csv").path)
    }

    @Test func ambiguousExtensionsAskForAFormat() throws {
        for name in ["x.txt", "x.text", "x"] {
            #expect(DataFixtures.errorText { _ = try InteractionFileParser.detectFormat(path: name) }
                == "cannot tell the format of \(name) from its extension; set dataset.format to one of: "
                + "csv, tsv, movielens, movielens-dat, recbole, sasrec")
        }
        #expect(try InteractionFileParser.detectFormat(path: "a/B.CSV") == .csv)
        #expect(try InteractionFileParser.detectFormat(path: "a.tsv") == .tsv)
        #expect(try InteractionFileParser.detectFormat(path: "a.inter") == .recbole)
        #expect(try InteractionFileParser.detectFormat(path: "ratings.dat") == .movielensDat)
        // One rule for the loader and the config layer (which fills `format` from it).
        #expect(try InteractionFileParser.detectFormat(path: "u.data") == .movielens)
        for name in ["a.csv", "a.tsv", "a.inter", "r.dat", "u.data", "x.txt"] {
            #expect((try? InteractionFileParser.detectFormat(path: name)) == DataFormat.detected(fromPath: name))
        }
    }

    @Test func csvQuotingRules() throws {
        let text = "user_id,item_id,note\n\"a\"\"b\", \"x,y\" ,\"line1\r\nline2\"\r\nplain , z ,\n"
        let records = try TextRecords.delimitedRecords(Array(text.utf8), delimiter: UInt8(ascii: ","), file: "mem")
        #expect(records.map(\.line) == [1, 2, 4])
        #expect(records[1].fields == ["a\"b", "x,y", "line1\r\nline2"])
        #expect(records[2].fields == ["plain", "z", ""])
    }
}
