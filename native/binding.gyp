{
  "targets": [
    {
      "target_name": "patchline_native",
      "sources": [
        "src/addon.cc",
        "src/cancel_token.cc",
        "src/errors.cc",
        "src/job.cc",
        "src/search_lane.cc",
        "src/index_wrap.cc",
        "src/index_image.cc",
        "src/index_io.cc",
        "src/index_exact_half.cc",
        "src/index_ivf_packed.cc",
        "src/index_ivf_scan.cc",
        "src/index_knn.cc",
        "src/index_search.cc",
        "src/index_simd_avx2.cc",
        "src/index_simd_avx512.cc",
        "src/index_simd_scalar.cc",
        "src/index_tree.cc",
        "src/coreset_wrap.cc",
        "src/coreset.cc",
        "src/coreset_prepare.cc",
        "src/coreset_pruned.cc",
        "src/coreset_tree.cc",
        "src/epsilon_net.cc",
        "src/epsilon_net_wrap.cc",
        "src/simd_dispatch.cc",
        "src/simd_scalar.cc",
        "src/simd_avx2.cc",
        "src/simd_avx512.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node ../scripts/native-deps.mjs include)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "conditions": [
        ["OS=='linux'", {
          "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-fopenmp", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
          "libraries": ["<!@(node ../scripts/native-deps.mjs libs)", "-fopenmp"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_ENABLE_CPP_RTTI": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-Xpreprocessor", "-fopenmp"]
          },
          "libraries": ["<!@(node ../scripts/native-deps.mjs libs)", "-lomp"]
        }],
        ["OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/openmp", "/O2"] } },
          "libraries": ["<!@(node ../scripts/native-deps.mjs libs)"]
        }]
      ]
    }
  ]
}
