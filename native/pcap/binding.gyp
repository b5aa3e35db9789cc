{
  "targets": [
    {
      "target_name": "mw_pcap",
      "sources": ["mw_pcap.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
