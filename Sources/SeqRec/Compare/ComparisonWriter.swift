// Writes the comparison files, each atomically (readers never see a half-written table).

import Foundation

public enum ComparisonWriter {
    public static func write(_ comparison: Comparison, markdownTo markdownURL: URL, csvTo csvURL: URL,
                             htmlTo htmlURL: URL?, htmlTitle: String = "seqrec comparison") throws {
        try AtomicFile.write(Data(comparison.markdown().utf8), to: markdownURL)
        try AtomicFile.write(Data(comparison.csv().utf8), to: csvURL)
        if let htmlURL { try AtomicFile.write(Data(comparison.html(title: htmlTitle).utf8), to: htmlURL) }
    }
}
