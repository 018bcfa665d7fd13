/// Response codes as reports name them (RFC 1035, 2136, 6895).
enum DNSRcode {
    static let names = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
                        "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13",
                        "RCODE14", "RCODE15"]

    static func name(_ code: Int) -> String { names[code & 0xF] }
}
