// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "loadgen",
    products: [
        .executable(name: "loadgen", targets: ["LoadGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Read by `loadgen run` only (scenario files).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .systemLibrary(
            name: "CAres",
            pkgConfig: "libcares",
            providers: [.apt(["libc-ares-dev"])]
        ),
        .systemLibrary(
            name: "CNghttp2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // HdrHistogram's compressed encoding (zlib streams inside the base64).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // What Swift's Glibc module hides: setns, CLONE_NEWNET, gettid, SIOCGSKNS, RUSAGE_THREAD.
        .target(
            name: "CLoadGenSys",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .executableTarget(
            name: "LoadGen",
            dependencies: [
                "CUV", "CAres", "CNghttp2", "COpenSSL", "CZlib", "CLoadGenSys",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "LoadGenTests",
            dependencies: ["LoadGen", "COpenSSL"],
            // The fault servers' Python scripts, run by HTTPFaultServer.
            exclude: ["Fixtures/http1_fault_server.py", "Fixtures/h2_fault_server.py", "Fixtures/fault_server_common.py",
                      "Fixtures/hdr_merge_check.py", "Fixtures/hlog_read.py", "Fixtures/kinds_server.py"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
