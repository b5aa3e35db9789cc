/*
 * minewatch live capture: libpcap read in batches on a capture thread.
 *
 * open(device, filter, snaplen, bufferBytes, promisc, slots[], onBatch) opens the interface
 * with pcap_create/pcap_activate (large kernel buffer, immediate mode off, so TPACKET_V3
 * blocks are delivered whole) and starts a thread that runs pcap_dispatch and copies each
 * packet into one of the caller's slot ArrayBuffers as a record
 *   [u32 ts_sec][u32 ts_usec][u32 caplen][u32 len][caplen bytes, padded to 4].
 * A slot is handed to JS (onBatch(slot, count, used)) when it is full or FLUSH_MS after its
 * first packet; the thread then fills the next free slot. JS gives a slot back with
 * release(handle, slot). While no slot is free the thread waits and the kernel ring absorbs
 * the burst; what it cannot absorb libpcap counts as dropped (stats()).
 */
#include <node_api.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SLOTS 16
#define FLUSH_NS (20 * 1000000LL)
#define IDLE_MS 100
#define STATS_NS (200 * 1000000LL)
#define REC_HDR 16

typedef struct capture {
  pcap_t *p;
  pthread_t thread;
  int thread_started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
  int nslots;
  uint8_t *slot_data[MAX_SLOTS];
  size_t slot_size[MAX_SLOTS];
  napi_ref slot_ref[MAX_SLOTS];
  int slot_busy[MAX_SLOTS]; /* 1 = owned by JS */
  /* filling state (capture thread only) */
  int cur;
  size_t used;
  uint32_t count;
  int full;
  uint8_t *pending; /* a packet that did not fit: goes first into the next slot */
  size_t pending_len;
  /* statistics (under mu) */
  uint64_t received, dropped, ifdropped, delivered;
  uint32_t last_recv, last_drop, last_ifdrop;
  int have_stats;
  char error[PCAP_ERRBUF_SIZE + 64];
  napi_threadsafe_function tsfn;
  int closed;
  int snaplen;
  int fd;
} capture;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t rec_size(uint32_t caplen) { return REC_HDR + ((caplen + 3u) & ~3u); }

static void write_rec(uint8_t *dst, const struct pcap_pkthdr *h, const uint8_t *bytes) {
  uint32_t hdr[4] = {(uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len};
  memcpy(dst, hdr, REC_HDR);
  memcpy(dst + REC_HDR, bytes, h->caplen);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture *c = (capture *)user;
  size_t need = rec_size(h->caplen);
  if (c->full) return; /* cannot happen: breakloop stops after the packet that filled it */
  if (c->used + need > c->slot_size[c->cur]) {
    /* keep it for the next slot and end this dispatch */
    write_rec(c->pending, h, bytes);
    c->pending_len = need;
    c->full = 1;
    pcap_breakloop(c->p);
    return;
  }
  write_rec(c->slot_data[c->cur] + c->used, h, bytes);
  c->used += need;
  c->count++;
}

/* Cumulative 64-bit counters from libpcap's 32-bit ones (which wrap). */
static void refresh_stats(capture *c) {
  struct pcap_stat st;
  if (pcap_stats(c->p, &st) != 0) return;
  pthread_mutex_lock(&c->mu);
  if (c->have_stats) {
    c->received += (uint32_t)(st.ps_recv - c->last_recv);
    c->dropped += (uint32_t)(st.ps_drop - c->last_drop);
    c->ifdropped += (uint32_t)(st.ps_ifdrop - c->last_ifdrop);
  } else {
    c->received = st.ps_recv;
    c->dropped = st.ps_drop;
    c->ifdropped = st.ps_ifdrop;
    c->have_stats = 1;
  }
  c->last_recv = st.ps_recv;
  c->last_drop = st.ps_drop;
  c->last_ifdrop = st.ps_ifdrop;
  pthread_mutex_unlock(&c->mu);
}

typedef struct handoff {
  int slot;
  uint32_t count;
  size_t used;
  int error;
} handoff;

static void post(capture *c, int slot, uint32_t count, size_t used, int error) {
  handoff *h = malloc(sizeof *h);
  if (!h) return;
  h->slot = slot;
  h->count = count;
  h->used = used;
  h->error = error;
  if (napi_call_threadsafe_function(c->tsfn, h, napi_tsfn_nonblocking) != napi_ok) free(h);
}

static void *capture_main(void *arg) {
  capture *c = (capture *)arg;
  int64_t last_stats = 0;
  for (;;) {
    /* wait for a free slot */
    pthread_mutex_lock(&c->mu);
    int slot = -1;
    while (!c->stop) {
      for (int i = 0; i < c->nslots; i++) {
        int k = (c->cur + 1 + i) % c->nslots;
        if (!c->slot_busy[k]) { slot = k; break; }
      }
      if (slot >= 0) break;
      pthread_cond_wait(&c->cv, &c->mu);
    }
    int stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    if (stop) break;
    c->cur = slot;
    c->used = 0;
    c->count = 0;
    c->full = 0;
    if (c->pending_len) {
      memcpy(c->slot_data[slot], c->pending, c->pending_len);
      c->used = c->pending_len;
      c->count = 1;
      c->pending_len = 0;
    }
    int64_t first = c->count ? now_ns() : 0;
    for (;;) {
      /* Our own poll with a timeout: libpcap's blocking read waits without one on TPACKET_V3,
       * which would hold a part-filled slot until more traffic came. */
      int wait_ms = IDLE_MS;
      if (c->count) {
        int64_t left = FLUSH_NS - (now_ns() - first);
        wait_ms = left <= 0 ? 0 : (int)(left / 1000000LL) + 1;
      }
      struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
      poll(&pfd, 1, wait_ms);
      int r = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
      int64_t t = now_ns();
      if (t - last_stats >= STATS_NS) {
        refresh_stats(c);
        last_stats = t;
      }
      if (r == PCAP_ERROR) {
        pthread_mutex_lock(&c->mu);
        snprintf(c->error, sizeof c->error, "%s", pcap_geterr(c->p));
        c->stop = 1;
        pthread_mutex_unlock(&c->mu);
        break;
      }
      pthread_mutex_lock(&c->mu);
      stop = c->stop;
      pthread_mutex_unlock(&c->mu);
      if (stop || c->full) break;
      if (c->count && !first) first = t;
      if (c->count && t - first >= FLUSH_NS) break;
    }
    if (c->count) {
      pthread_mutex_lock(&c->mu);
      c->slot_busy[slot] = 1;
      c->delivered += c->count;
      pthread_mutex_unlock(&c->mu);
      post(c, slot, c->count, c->used, 0);
    }
    pthread_mutex_lock(&c->mu);
    stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    if (stop) break;
  }
  refresh_stats(c);
  if (c->error[0]) post(c, -1, 0, 0, 1);
  return NULL;
}

/* ---- JS side ---- */

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "mw_pcap: " #call " failed"); return NULL; } } while (0)

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  capture *c = (capture *)context;
  handoff *h = (handoff *)data;
  if (env == NULL || c->closed) { free(h); return; }
  napi_value argv[3], undef;
  napi_get_undefined(env, &undef);
  if (h->error) {
    char msg[sizeof c->error];
    pthread_mutex_lock(&c->mu);
    snprintf(msg, sizeof msg, "%s", c->error);
    pthread_mutex_unlock(&c->mu);
    napi_create_int32(env, -1, &argv[0]);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &argv[1]);
    napi_get_undefined(env, &argv[2]);
  } else {
    napi_create_int32(env, h->slot, &argv[0]);
    napi_create_uint32(env, h->count, &argv[1]);
    napi_create_double(env, (double)h->used, &argv[2]);
  }
  free(h);
  napi_call_function(env, undef, cb, 3, argv, NULL);
}

static void stop_capture(napi_env env, capture *c) {
  if (c->closed) return;
  c->closed = 1;
  pthread_mutex_lock(&c->mu);
  c->stop = 1;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
  if (c->thread_started) {
    pcap_breakloop(c->p);
    pthread_join(c->thread, NULL);
    c->thread_started = 0;
  }
  pcap_close(c->p);
  c->p = NULL;
  if (c->tsfn) {
    napi_release_threadsafe_function(c->tsfn, napi_tsfn_abort);
    c->tsfn = NULL;
  }
  for (int i = 0; i < c->nslots; i++) {
    if (c->slot_ref[i]) napi_delete_reference(env, c->slot_ref[i]);
    c->slot_ref[i] = NULL;
  }
}

static void finalize_capture(napi_env env, void *data, void *hint) {
  capture *c = (capture *)data;
  if (!c->closed) stop_capture(env, c);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
  free(c->pending);
  free(c);
}

static int get_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok && len < size - 1;
}

/* open(device, filter, snaplen, bufferBytes, promisc, slots: ArrayBuffer[], onBatch) → { handle, linkType } */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) { napi_throw_type_error(env, NULL, "open(device, filter, snaplen, bufferBytes, promisc, slots, onBatch)"); return NULL; }
  char device[256], filter[8192];
  if (!get_string(env, argv[0], device, sizeof device) || !get_string(env, argv[1], filter, sizeof filter)) {
    napi_throw_type_error(env, NULL, "device and filter must be strings (device < 256, filter < 8192 bytes)");
    return NULL;
  }
  int32_t snaplen, buffer_bytes;
  bool promisc;
  CHECK(napi_get_value_int32(env, argv[2], &snaplen));
  CHECK(napi_get_value_int32(env, argv[3], &buffer_bytes));
  CHECK(napi_get_value_bool(env, argv[4], &promisc));
  uint32_t nslots;
  CHECK(napi_get_array_length(env, argv[5], &nslots));
  if (nslots < 2 || nslots > MAX_SLOTS) { napi_throw_range_error(env, NULL, "2 to 16 slots"); return NULL; }

  capture *c = calloc(1, sizeof *c);
  if (!c) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  c->snaplen = snaplen;
  c->pending = malloc(rec_size((uint32_t)snaplen) + 16);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  c->nslots = (int)nslots;
  for (uint32_t i = 0; i < nslots; i++) {
    napi_value ab;
    void *data;
    size_t len;
    bool is_ab;
    napi_get_element(env, argv[5], i, &ab);
    if (napi_is_arraybuffer(env, ab, &is_ab) != napi_ok || !is_ab || napi_get_arraybuffer_info(env, ab, &data, &len) != napi_ok ||
        len < rec_size((uint32_t)snaplen)) {
      for (uint32_t j = 0; j < i; j++) napi_delete_reference(env, c->slot_ref[j]);
      free(c->pending);
      free(c);
      napi_throw_type_error(env, NULL, "each slot must be an ArrayBuffer of at least one snaplen record");
      return NULL;
    }
    c->slot_data[i] = data;
    c->slot_size[i] = len;
    napi_create_reference(env, ab, 1, &c->slot_ref[i]);
  }
  c->cur = c->nslots - 1;

  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(device, errbuf);
  const char *fail = NULL;
  char msg[PCAP_ERRBUF_SIZE + 256] = "";
  if (!p) fail = errbuf;
  else {
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc ? 1 : 0);
    pcap_set_timeout(p, 10);
    pcap_set_immediate_mode(p, 0);
    pcap_set_buffer_size(p, buffer_bytes);
    int r = pcap_activate(p);
    if (r < 0) {
      snprintf(msg, sizeof msg, "%s%s%s", pcap_statustostr(r), r == PCAP_ERROR ? ": " : "", r == PCAP_ERROR ? pcap_geterr(p) : "");
      fail = msg;
    } else if (pcap_setnonblock(p, 1, errbuf) != 0 || (c->fd = pcap_get_selectable_fd(p)) < 0) {
      snprintf(msg, sizeof msg, "cannot make the capture non-blocking: %s", errbuf);
      fail = msg;
    } else if (filter[0]) {
      struct bpf_program prog;
      if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(msg, sizeof msg, "bad filter: %s", pcap_geterr(p));
        fail = msg;
      } else {
        if (pcap_setfilter(p, &prog) != 0) {
          snprintf(msg, sizeof msg, "bad filter: %s", pcap_geterr(p));
          fail = msg;
        }
        pcap_freecode(&prog);
      }
    }
  }
  if (fail) {
    napi_value err, text;
    napi_create_string_utf8(env, fail, NAPI_AUTO_LENGTH, &text);
    napi_create_error(env, NULL, text, &err);
    if (p) pcap_close(p);
    for (int j = 0; j < c->nslots; j++) napi_delete_reference(env, c->slot_ref[j]);
    free(c->pending);
    free(c);
    napi_throw(env, err);
    return NULL;
  }
  c->p = p;
  int link = pcap_datalink(p);

  napi_value handle, name, result, v;
  CHECK(napi_create_object(env, &handle));
  CHECK(napi_wrap(env, handle, c, finalize_capture, NULL, NULL));
  CHECK(napi_create_string_utf8(env, "mw_pcap", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, argv[6], NULL, name, 0, 1, NULL, NULL, c, call_js, &c->tsfn));
  if (pthread_create(&c->thread, NULL, capture_main, c) != 0) {
    napi_throw_error(env, NULL, "cannot start the capture thread");
    return NULL;
  }
  c->thread_started = 1;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "handle", handle));
  CHECK(napi_create_int32(env, link, &v));
  CHECK(napi_set_named_property(env, result, "linkType", v));
  return result;
}

static capture *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  capture *c = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok || *argc < 1 || napi_unwrap(env, argv[0], (void **)&c) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a capture handle");
    return NULL;
  }
  return c;
}

/* The handle of a one-argument call (stats, close). */
static capture *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  return unwrap(env, info, &argc, argv);
}

static napi_value js_release(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  capture *c = unwrap(env, info, &argc, argv);
  if (!c) return NULL;
  int32_t slot;
  if (argc < 2 || napi_get_value_int32(env, argv[1], &slot) != napi_ok || slot < 0 || slot >= c->nslots) {
    napi_throw_range_error(env, NULL, "bad slot");
    return NULL;
  }
  pthread_mutex_lock(&c->mu);
  c->slot_busy[slot] = 0;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

/* stats(handle) → { received, dropped, ifdropped, delivered } (libpcap's pcap_stats, made cumulative) */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  capture *c = handle_arg(env, info);
  if (!c) return NULL;
  pthread_mutex_lock(&c->mu);
  double vals[4] = {(double)c->received, (double)c->dropped, (double)c->ifdropped, (double)c->delivered};
  pthread_mutex_unlock(&c->mu);
  const char *names[4] = {"received", "dropped", "ifdropped", "delivered"};
  napi_value o, v;
  CHECK(napi_create_object(env, &o));
  for (int i = 0; i < 4; i++) {
    CHECK(napi_create_double(env, vals[i], &v));
    CHECK(napi_set_named_property(env, o, names[i], v));
  }
  return o;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  capture *c = handle_arg(env, info);
  if (!c) return NULL;
  stop_capture(env, c);
  return NULL;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"release", NULL, js_release, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"version", NULL, js_version, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
