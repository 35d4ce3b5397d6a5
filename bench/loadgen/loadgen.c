/*
 * loadgen: a small WebSocket load generator for wsgate's benchmarks (bench/run.mjs builds it
 * with `cc -O2`). One thread, epoll, non-blocking sockets, pre-built masked frames, so that it
 * spends far less CPU per message than the Node servers it drives.
 *
 * Modes (all output is one JSON object per line on stdout; errors on stderr):
 *   echo       N connections, K messages in flight each: counts echoed messages and bytes,
 *              measures round trips (N=1 K=1 is the unloaded latency).
 *   broadcast  N connections; connection 0 sends with K in flight, the server sends each message
 *              to every connection; counts deliveries.
 *   handshake  C concurrent slots, each: connect, upgrade, close frame, wait for the server's
 *              close, close; counts completed cycles per second.
 *   idle       opens N connections, prints a "ready" line, holds them until stdin closes or
 *              --hold-max seconds pass.
 * With --raw the peer is a plain TCP echo (the ceiling): no upgrade, and frames come back still
 * masked, which the parser accepts. Network only to --host (127.0.0.1 by default).
 *
 * Every loop is bounded in time: --warmup + --duration for the measuring modes, --setup-max for
 * opening connections, --hold-max for idle, --attempt-timeout for one handshake.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MODE_ECHO, MODE_BROADCAST, MODE_HANDSHAKE, MODE_IDLE };
enum { ST_FREE, ST_CONNECTING, ST_SENDING_REQUEST, ST_READING_HEAD, ST_OPEN, ST_DRAINING, ST_DONE };

#define READ_BUFFER_BYTES (256 * 1024)
#define MAX_LATENCY_SAMPLES (4u * 1024u * 1024u)
#define HEAD_MAX 2048

typedef struct {
  int fd;
  uint32_t generation;
  int state;
  int want_out;
  double started; /* when the current attempt began (handshake mode, setup timeout) */
  /* request (upgrade, or close frame) being written */
  const char *request;
  size_t request_len, request_off;
  /* response head */
  char head[HEAD_MAX];
  size_t head_len;
  size_t raw_echoed; /* --raw handshake: bytes of our request echoed back */
  /* frames out: a periodic stream of identical frames, pending bytes from `phase` */
  size_t out_pending, out_phase;
  /* frame parser */
  unsigned char hdr[14];
  int hdr_len, hdr_need;
  uint64_t remaining, frame_length;
  int opcode, fin, in_payload;
  /* in-flight send times, a ring of capacity K */
  uint64_t *sent_at;
  int ring_head, ring_count;
} conn_t;

/* --- options ------------------------------------------------------------------------------ */
static int mode = MODE_ECHO;
static const char *host = "127.0.0.1";
static int port = 0;
static int conns = 100;
static int inflight = 10;
static size_t size = 32;
static int opcode_sent = 2;
static double warmup_s = 1.0, duration_s = 3.0, setup_max_s = 30.0, hold_max_s = 60.0;
static double attempt_timeout_s = 5.0;
static int concurrency = 32;
static int raw = 0;
static int server_pid = 0;

/* --- state -------------------------------------------------------------------------------- */
static int ep;
static conn_t *table;
static int table_len;
static unsigned char *block; /* (K+1) frames back to back */
static size_t frame_len;
static char request_buf[512];
static size_t request_len;
static unsigned char close_frame[8];
static unsigned char readbuf[READ_BUFFER_BYTES];
static struct sockaddr_in addr;

static int measuring = 0;
static uint64_t messages = 0, payload_bytes = 0, cycles = 0;
static uint64_t errors = 0, mismatches = 0, closes_received = 0, open_count = 0;
static uint32_t *latencies;
static uint64_t latency_count = 0; /* samples kept, at most MAX_LATENCY_SAMPLES */
static uint64_t latency_seen = 0;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static double now_s(void) { return (double)now_ns() / 1e9; }

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of the server from /proc/<pid>/stat (fields 14 and 15), in seconds; -1 if unknown. */
static double server_cpu_s(void) {
  if (server_pid <= 0) return -1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2;
  /* fields 3..13 are skipped */
  for (int field = 3; field < 14 && *p; field++) {
    while (*p && *p != ' ') p++;
    while (*p == ' ') p++;
  }
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p, "%llu %llu", &utime, &stime) != 2) return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void die(const char *message) {
  fprintf(stderr, "loadgen: %s\n", message);
  exit(2);
}

/* --- frames ------------------------------------------------------------------------------- */

/* A masked client frame (RFC 6455 §5.2, §5.3). The payload is ASCII so text stays valid UTF-8. */
static size_t build_frame(unsigned char *out, int opcode, const unsigned char *payload, size_t len,
                          const unsigned char key[4]) {
  size_t at = 0;
  out[at++] = (unsigned char)(0x80 | opcode);
  if (len < 126) {
    out[at++] = (unsigned char)(0x80 | len);
  } else if (len < 65536) {
    out[at++] = 0x80 | 126;
    out[at++] = (unsigned char)(len >> 8);
    out[at++] = (unsigned char)len;
  } else {
    out[at++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) out[at++] = (unsigned char)((uint64_t)len >> (8 * i));
  }
  memcpy(out + at, key, 4);
  at += 4;
  for (size_t i = 0; i < len; i++) out[at + i] = payload[i] ^ key[i & 3];
  return at + len;
}

static void prepare_frames(void) {
  unsigned char key[4];
  srand((unsigned)now_ns());
  for (int i = 0; i < 4; i++) key[i] = (unsigned char)(rand() & 0xff);
  unsigned char *payload = malloc(size ? size : 1);
  if (!payload) die("out of memory");
  for (size_t i = 0; i < size; i++) payload[i] = (unsigned char)('a' + i % 26);
  size_t header = 2 + (size < 126 ? 0 : size < 65536 ? 2 : 8) + 4;
  frame_len = header + size;
  int copies = inflight + 1;
  block = malloc(frame_len * (size_t)copies);
  if (!block) die("out of memory");
  for (int i = 0; i < copies; i++) build_frame(block + frame_len * (size_t)i, opcode_sent, payload, size, key);
  free(payload);
  unsigned char code[2] = {0x03, 0xe8}; /* 1000 */
  build_frame(close_frame, 8, code, 2, key);
  request_len = (size_t)snprintf(request_buf, sizeof request_buf,
                                 "GET / HTTP/1.1\r\n"
                                 "Host: %s:%d\r\n"
                                 "Upgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                 "Sec-WebSocket-Version: 13\r\n\r\n",
                                 host, port);
}

/* --- latency ------------------------------------------------------------------------------ */

static void record_latency(uint64_t ns) {
  latency_seen++;
  if (latency_count < MAX_LATENCY_SAMPLES) latencies[latency_count++] = ns > 0xffffffffull ? 0xffffffffu : (uint32_t)ns;
}

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double percentile_us(double p) {
  if (latency_count == 0) return -1;
  uint64_t index = (uint64_t)(p * (double)(latency_count - 1) + 0.5);
  return latencies[index] / 1000.0;
}

/* --- connections -------------------------------------------------------------------------- */

static uint64_t tag(conn_t *c) { return ((uint64_t)(c - table) << 32) | c->generation; }

static void set_events(conn_t *c, int want_out) {
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.u64 = tag(c)};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want_out;
}

static int open_socket(conn_t *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  if (rc < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  c->fd = fd;
  c->generation++;
  c->state = ST_CONNECTING;
  c->started = now_s();
  c->request = request_buf;
  c->request_len = request_len;
  c->request_off = 0;
  c->head_len = 0;
  c->raw_echoed = 0;
  c->out_pending = 0;
  c->out_phase = 0;
  c->hdr_len = 0;
  c->in_payload = 0;
  c->ring_head = 0;
  c->ring_count = 0;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = tag(c)};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
    close(fd);
    c->fd = -1;
    return -1;
  }
  c->want_out = 1;
  return 0;
}

static void close_conn(conn_t *c, int next_state) {
  if (c->fd >= 0) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  if (c->state == ST_OPEN || c->state == ST_DRAINING) {
    if (open_count > 0) open_count--;
  }
  c->fd = -1;
  c->generation++;
  c->state = next_state;
}

/* Queues n more frames of the periodic stream; the caller flushes. */
static void queue_frames(conn_t *c, int n) {
  uint64_t t = now_ns();
  for (int i = 0; i < n; i++) {
    c->sent_at[(c->ring_head + c->ring_count) % inflight] = t;
    c->ring_count++;
  }
  c->out_pending += (size_t)n * frame_len;
}

/* Writes pending bytes; returns -1 when the connection failed. */
static int flush_conn(conn_t *c) {
  if (c->state == ST_SENDING_REQUEST || c->state == ST_DRAINING) {
    while (c->request_off < c->request_len) {
      ssize_t n = write(c->fd, c->request + c->request_off, c->request_len - c->request_off);
      if (n < 0) {
        if (errno == EAGAIN) {
          if (!c->want_out) set_events(c, 1);
          return 0;
        }
        return -1;
      }
      c->request_off += (size_t)n;
    }
    if (c->state == ST_SENDING_REQUEST) c->state = ST_READING_HEAD;
    if (raw && mode == MODE_HANDSHAKE && c->state == ST_DRAINING) shutdown(c->fd, SHUT_WR);
    if (c->want_out) set_events(c, 0);
    return 0;
  }
  while (c->out_pending > 0) {
    ssize_t n = write(c->fd, block + c->out_phase, c->out_pending);
    if (n < 0) {
      if (errno == EAGAIN) {
        if (!c->want_out) set_events(c, 1);
        return 0;
      }
      return -1;
    }
    c->out_pending -= (size_t)n;
    c->out_phase = (c->out_phase + (size_t)n) % frame_len;
  }
  if (c->want_out) set_events(c, 0);
  return 0;
}

static int sender_index(void) { return 0; }

/* A whole message arrived on c. */
static void on_message(conn_t *c, int opcode, uint64_t length) {
  int is_sender = mode != MODE_BROADCAST || (c - table) == sender_index();
  if (measuring) {
    messages++;
    payload_bytes += length;
    if (opcode != opcode_sent || length != size) mismatches++;
  }
  if (!is_sender) return;
  if (c->ring_count > 0) {
    uint64_t sent = c->sent_at[c->ring_head];
    c->ring_head = (c->ring_head + 1) % inflight;
    c->ring_count--;
    if (measuring) record_latency(now_ns() - sent);
  }
  if (mode == MODE_ECHO || mode == MODE_BROADCAST) queue_frames(c, 1);
}

/* Parses frames in bytes [data, data+len); returns -1 on a close frame or a protocol error. */
static int parse_frames(conn_t *c, const unsigned char *data, size_t len) {
  size_t at = 0;
  while (at < len) {
    if (!c->in_payload) {
      if (c->hdr_len < 2) {
        c->hdr[c->hdr_len++] = data[at++];
        if (c->hdr_len < 2) continue;
        int len7 = c->hdr[1] & 0x7f;
        c->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);
      }
      while (c->hdr_len < c->hdr_need && at < len) c->hdr[c->hdr_len++] = data[at++];
      if (c->hdr_len < c->hdr_need) break;
      uint64_t length = c->hdr[1] & 0x7f;
      if (length == 126) {
        length = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) length = (length << 8) | c->hdr[2 + i];
      }
      c->opcode = c->hdr[0] & 0x0f;
      c->fin = (c->hdr[0] & 0x80) != 0;
      c->remaining = length;
      c->frame_length = length;
      c->hdr_len = 0;
      c->in_payload = 1;
    }
    size_t take = c->remaining < (uint64_t)(len - at) ? (size_t)c->remaining : len - at;
    at += take;
    c->remaining -= take;
    if (c->remaining > 0) break;
    c->in_payload = 0;
    if (c->opcode == 8) {
      closes_received++;
      return -1;
    }
    if (c->opcode >= 8) continue; /* ping/pong: not counted */
    if (!c->fin) {
      mismatches++; /* servers echo whole messages; fragments are unexpected here */
      continue;
    }
    on_message(c, c->opcode, c->frame_length);
  }
  return 0;
}

/* Sending starts once every connection is open, see start_traffic. */
static void became_open(conn_t *c) {
  c->state = ST_OPEN;
  open_count++;
}

static void start_traffic(void) {
  for (int i = 0; i < table_len; i++) {
    conn_t *c = &table[i];
    if (c->state != ST_OPEN) continue;
    if (mode == MODE_ECHO || (mode == MODE_BROADCAST && i == sender_index())) {
      queue_frames(c, inflight);
      if (flush_conn(c) < 0) {
        errors++;
        close_conn(c, ST_DONE);
      }
    }
  }
}

/* Handshake mode: one cycle finished (or failed); start the next attempt in this slot. */
static void restart_slot(conn_t *c, int completed, double deadline) {
  if (completed && measuring) cycles++;
  if (completed && measuring) record_latency(now_ns() - (uint64_t)(c->started * 1e9));
  close_conn(c, ST_FREE);
  if (now_s() < deadline && open_socket(c) < 0) {
    errors++;
    c->state = ST_FREE;
  }
}

/* Reads what is available; returns -1 when the connection is finished or failed. */
static int read_conn(conn_t *c) {
  for (int rounds = 0; rounds < 8; rounds++) {
    ssize_t n = read(c->fd, readbuf, sizeof readbuf);
    if (n == 0) return -1;
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    const unsigned char *data = readbuf;
    size_t len = (size_t)n;
    if (c->state == ST_READING_HEAD) {
      if (raw) {
        /* the TCP echo returns our request; then the connection is "open" */
        size_t want = request_len - c->raw_echoed;
        size_t got = len < want ? len : want;
        c->raw_echoed += got;
        data += got;
        len -= got;
        if (c->raw_echoed < request_len) continue;
      } else {
        size_t room = HEAD_MAX - 1 - c->head_len;
        size_t copy = len < room ? len : room;
        memcpy(c->head + c->head_len, data, copy);
        c->head_len += copy;
        c->head[c->head_len] = 0;
        char *end = strstr(c->head, "\r\n\r\n");
        if (!end) {
          if (c->head_len >= HEAD_MAX - 1) return -1;
          continue;
        }
        if (strncmp(c->head, "HTTP/1.1 101", 12) != 0) {
          fprintf(stderr, "loadgen: handshake refused: %.60s\n", c->head);
          return -1;
        }
        size_t head_bytes = (size_t)(end + 4 - c->head);
        size_t consumed_before = c->head_len - copy;
        size_t used = head_bytes - consumed_before;
        data += used;
        len -= used;
      }
      c->head_len = 0;
      c->raw_echoed = 0;
      if (mode == MODE_HANDSHAKE) {
        c->state = ST_DRAINING;
        open_count++;
        if (raw) {
          c->request = request_buf;
          c->request_len = 0;
          c->request_off = 0;
        } else {
          c->request = (const char *)close_frame;
          c->request_len = sizeof close_frame;
          c->request_off = 0;
        }
        if (flush_conn(c) < 0) return -1;
        continue; /* the rest is drained until EOF */
      }
      became_open(c);
    }
    if (c->state == ST_DRAINING) continue; /* ignore everything until EOF */
    if (c->state == ST_OPEN && len > 0) {
      if (parse_frames(c, data, len) < 0) return -1;
    }
  }
  return 0;
}

/* --- modes -------------------------------------------------------------------------------- */

typedef struct {
  double wall, client_cpu, server_cpu;
} window_t;

static void emit_result(const window_t *w) {
  if (latency_count > 0) qsort(latencies, latency_count, sizeof *latencies, compare_u32);
  printf("{\"event\":\"result\",\"mode\":\"%s\",\"seconds\":%.4f,\"messages\":%llu,\"bytes\":%llu,"
         "\"cycles\":%llu,\"errors\":%llu,\"mismatches\":%llu,\"closesReceived\":%llu,"
         "\"open\":%llu,\"clientCpuSeconds\":%.4f,\"serverCpuSeconds\":%.4f,"
         "\"latencySamples\":%llu,\"latencySeen\":%llu,\"p50Us\":%.2f,\"p90Us\":%.2f,\"p99Us\":%.2f,"
         "\"maxUs\":%.2f}\n",
         mode == MODE_ECHO ? "echo" : mode == MODE_BROADCAST ? "broadcast" : mode == MODE_HANDSHAKE ? "handshake" : "idle",
         w->wall, (unsigned long long)messages, (unsigned long long)payload_bytes,
         (unsigned long long)cycles, (unsigned long long)errors, (unsigned long long)mismatches,
         (unsigned long long)closes_received, (unsigned long long)open_count, w->client_cpu,
         w->server_cpu, (unsigned long long)latency_count, (unsigned long long)latency_seen,
         percentile_us(0.50), percentile_us(0.90), percentile_us(0.99),
         latency_count ? latencies[latency_count - 1] / 1000.0 : -1.0);
  fflush(stdout);
}

static void handle_event(struct epoll_event *ev, double deadline) {
  uint64_t t = ev->data.u64;
  conn_t *c = &table[t >> 32];
  if ((uint32_t)t != c->generation || c->fd < 0) return;
  int failed = 0;
  if (c->state == ST_CONNECTING) {
    if (ev->events & (EPOLLERR | EPOLLHUP)) {
      failed = 1;
    } else if (ev->events & EPOLLOUT) {
      if (raw && mode != MODE_HANDSHAKE) {
        /* a TCP echo has no handshake: the connection is open once connected */
        set_events(c, 0);
        became_open(c);
      } else {
        c->state = ST_SENDING_REQUEST;
        if (flush_conn(c) < 0) failed = 1;
      }
    }
  } else {
    if (ev->events & EPOLLOUT) {
      if (flush_conn(c) < 0) failed = 1;
    }
    if (!failed && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
      if (read_conn(c) < 0) failed = 1;
    }
    if (!failed && c->state == ST_OPEN && c->out_pending > 0) {
      if (flush_conn(c) < 0) failed = 1;
    }
  }
  if (!failed) return;
  if (mode == MODE_HANDSHAKE) {
    int completed = c->state == ST_DRAINING;
    if (!completed) errors++;
    restart_slot(c, completed, deadline);
  } else {
    if (c->state != ST_DRAINING) errors++;
    close_conn(c, ST_DONE);
  }
}

static struct epoll_event events[1024];

static void poll_once(int timeout_ms, double deadline) {
  int n = epoll_wait(ep, events, 1024, timeout_ms);
  for (int i = 0; i < n; i++) handle_event(&events[i], deadline);
}

/* Opens `conns` connections, at most `concurrency` handshakes at a time; bounded by --setup-max. */
static int open_all(void) {
  double deadline = now_s() + setup_max_s;
  int next = 0;
  while (now_s() < deadline) {
    int pending = 0;
    int done = 0;
    for (int i = 0; i < next; i++) {
      int s = table[i].state;
      if (s == ST_CONNECTING || s == ST_SENDING_REQUEST || s == ST_READING_HEAD) {
        pending++;
        if (now_s() - table[i].started > attempt_timeout_s) {
          errors++;
          close_conn(&table[i], ST_DONE);
        }
      } else {
        done++;
      }
    }
    while (next < table_len && pending < concurrency) {
      if (open_socket(&table[next]) < 0) {
        errors++;
        table[next].state = ST_DONE;
      } else {
        pending++;
      }
      next++;
    }
    if (next >= table_len && pending == 0) break;
    poll_once(5, deadline);
    (void)done;
  }
  return (int)open_count;
}

static void run_measured(void) {
  /* Traffic modes: open everything, then warm up, then measure. */
  if (mode != MODE_HANDSHAKE) {
    open_all();
    if (open_count == 0) die("no connection could be opened");
    start_traffic();
  }
  double t0 = now_s();
  double warm_end = t0 + warmup_s;
  double end = warm_end + duration_s;
  if (mode == MODE_HANDSHAKE) {
    for (int i = 0; i < table_len; i++) {
      if (open_socket(&table[i]) < 0) {
        errors++;
        table[i].state = ST_FREE;
      }
    }
  }
  window_t w = {0};
  double cpu0 = 0, scpu0 = 0;
  double last_sweep = t0;
  while (1) {
    double t = now_s();
    if (!measuring && t >= warm_end) {
      measuring = 1;
      mismatches = 0;
      cpu0 = self_cpu_s();
      scpu0 = server_cpu_s();
      w.wall = t;
    }
    if (t >= end) break;
    poll_once(10, end);
    if (mode == MODE_HANDSHAKE && t - last_sweep > 0.1) {
      /* bound each attempt, and refill slots that failed to open a socket */
      last_sweep = t;
      for (int i = 0; i < table_len; i++) {
        conn_t *c = &table[i];
        if (c->state == ST_FREE) {
          if (open_socket(c) < 0) errors++;
        } else if (t - c->started > attempt_timeout_s) {
          errors++;
          restart_slot(c, 0, end);
        }
      }
    }
  }
  double t_end = now_s();
  measuring = 0;
  w.wall = t_end - w.wall;
  w.client_cpu = self_cpu_s() - cpu0;
  double scpu1 = server_cpu_s();
  w.server_cpu = scpu0 >= 0 && scpu1 >= 0 ? scpu1 - scpu0 : -1;
  emit_result(&w);
}

static void run_idle(void) {
  double cpu0 = self_cpu_s();
  double t0 = now_s();
  int opened = open_all();
  printf("{\"event\":\"ready\",\"open\":%d,\"errors\":%llu,\"setupSeconds\":%.3f}\n", opened,
         (unsigned long long)errors, now_s() - t0);
  fflush(stdout);
  double deadline = now_s() + hold_max_s;
  struct pollfd in = {.fd = 0, .events = POLLIN};
  while (now_s() < deadline) {
    poll_once(0, deadline);
    int r = poll(&in, 1, 50);
    if (r > 0) {
      char b[64];
      ssize_t n = read(0, b, sizeof b);
      if (n <= 0) break;
    }
  }
  window_t w = {.wall = now_s() - t0, .client_cpu = self_cpu_s() - cpu0, .server_cpu = -1};
  emit_result(&w);
}

/* --- main --------------------------------------------------------------------------------- */

static const char *arg(int argc, char **argv, const char *name) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  return NULL;
}
static int flag(int argc, char **argv, const char *name) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0) return 1;
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) die("usage: loadgen echo|broadcast|handshake|idle --port N [options]");
  const char *m = argv[1];
  if (strcmp(m, "echo") == 0) mode = MODE_ECHO;
  else if (strcmp(m, "broadcast") == 0) mode = MODE_BROADCAST;
  else if (strcmp(m, "handshake") == 0) mode = MODE_HANDSHAKE;
  else if (strcmp(m, "idle") == 0) mode = MODE_IDLE;
  else die("unknown mode");
  const char *v;
  if ((v = arg(argc, argv, "--host"))) host = v;
  if ((v = arg(argc, argv, "--port"))) port = atoi(v);
  if ((v = arg(argc, argv, "--conns"))) conns = atoi(v);
  if ((v = arg(argc, argv, "--inflight"))) inflight = atoi(v);
  if ((v = arg(argc, argv, "--size"))) size = (size_t)strtoull(v, NULL, 10);
  if ((v = arg(argc, argv, "--opcode"))) opcode_sent = strcmp(v, "text") == 0 ? 1 : 2;
  if ((v = arg(argc, argv, "--warmup"))) warmup_s = atof(v);
  if ((v = arg(argc, argv, "--duration"))) duration_s = atof(v);
  if ((v = arg(argc, argv, "--setup-max"))) setup_max_s = atof(v);
  if ((v = arg(argc, argv, "--hold-max"))) hold_max_s = atof(v);
  if ((v = arg(argc, argv, "--attempt-timeout"))) attempt_timeout_s = atof(v);
  if ((v = arg(argc, argv, "--concurrency"))) concurrency = atoi(v);
  if ((v = arg(argc, argv, "--server-pid"))) server_pid = atoi(v);
  raw = flag(argc, argv, "--raw");
  if (port <= 0 || port > 65535) die("--port is required");
  if (conns < 1 || conns > 100000 || inflight < 1 || inflight > 100000 || concurrency < 1) die("bad counts");
  if (size > (64u << 20)) die("--size is capped at 64 MiB");

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) die("--host must be an IPv4 address");

  prepare_frames();
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1 failed");
  table_len = mode == MODE_HANDSHAKE ? concurrency : conns;
  table = calloc((size_t)table_len, sizeof *table);
  uint64_t *rings = calloc((size_t)table_len * (size_t)inflight, sizeof *rings);
  latencies = malloc(sizeof *latencies * MAX_LATENCY_SAMPLES);
  if (!table || !rings || !latencies) die("out of memory");
  for (int i = 0; i < table_len; i++) {
    table[i].fd = -1;
    table[i].sent_at = rings + (size_t)i * (size_t)inflight;
  }
  if (mode == MODE_IDLE) run_idle();
  else run_measured();
  return 0;
}
