{
  "targets": [
    {
      "target_name": "mrsh_io",
      "sources": [
        "native/mrsh_io.c", "native/mrsh_napi.c", "native/mrsh_netns.c", "native/mrsh_tun.c",
        "native/mrsh_packet.c", "native/mrsh_ring.c", "native/mrsh_frame.c", "native/mrsh_bpf.c",
        "native/mrsh_xsk.c", "native/mrsh_fanout.c", "native/mrsh_busypoll.c", "native/mrsh_poll.c", "native/mrsh_raw.c",
        "native/mrsh_rsock.c", "native/mrsh_execve.c", "native/mrsh_cred.c", "native/mrsh_mem.c"
      ],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-Wno-format-truncation"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
