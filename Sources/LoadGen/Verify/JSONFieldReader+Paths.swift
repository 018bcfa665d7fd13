extension JSONFieldReader {
    /// The dotted paths to extract, as a trie over keys; path `i` fills slot `i`.
    struct Paths {
        struct Node {
            var children: [(key: [UInt8], node: Int)] = []
            var slot: Int?
        }

        var nodes: [Node] = [Node()]
        let paths: [[String]]

        /// `paths[i]` is a list of keys from the top-level object down (`["src", "addr"]` for `src.addr`).
        init(_ paths: [[String]]) {
            self.paths = paths
            for (slot, path) in paths.enumerated() {
                var node = 0
                for key in path {
                    let bytes = Array(key.utf8)
                    if let next = nodes[node].children.first(where: { $0.key == bytes })?.node {
                        node = next
                    } else {
                        nodes.append(Node())
                        nodes[node].children.append((bytes, nodes.count - 1))
                        node = nodes.count - 1
                    }
                }
                if nodes[node].slot == nil { nodes[node].slot = slot }
            }
        }

        /// Splits `a.b.c` into keys.
        static func split(_ dotted: String) -> [String] {
            dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        }

        var count: Int { paths.count }

        /// Slots of paths that name the same place as an earlier path (filled after each record).
        var aliases: [(slot: Int, sameAs: Int)] {
            var first: [[String]: Int] = [:]
            var result: [(Int, Int)] = []
            for (slot, path) in paths.enumerated() {
                if let earlier = first[path] { result.append((slot, earlier)) } else { first[path] = slot }
            }
            return result
        }
    }
}
