{
  "targets": [
    {
      "target_name": "cortex_native",
      "sources": ["cortex_native.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
