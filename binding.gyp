# The copyless native addon (build/Release/copyless_native.node), built by
# native/build.mjs during `npm install`. Linux only: it is the sendfile(2),
# TCP_CORK and posix_fadvise semantics that it exists to measure.
{
  "targets": [
    {
      "target_name": "copyless_native",
      "sources": [
        "native/copyless_native.c",
        "native/send_sequence.c",
        "native/file_cache.c",
        "native/net_device.c"
      ],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
