{
  "targets": [
    {
      "target_name": "mrsh_io",
      "sources": ["native/mrsh_io.c", "native/mrsh_rsock.c", "native/mrsh_execve.c", "native/mrsh_cred.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-Wno-format-truncation"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
