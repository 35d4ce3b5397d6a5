/*
 * fanout: the load side of the topics benchmark (bench/fanout/run.mjs builds it with cc -O2).
 * One thread, epoll. S subscribers spread evenly over the servers of --sub-ports, and one
 * publisher connected to --pub-port that keeps --window messages in flight: a message is in
 * flight from the moment it is written until every subscriber has received it (or
 * --loss-timeout has passed, and the subscribers that lack it count as lost deliveries).
 *
 * Payload: 32 ASCII hex digits, the message's sequence number then CLOCK_MONOTONIC at the
 * write, in nanoseconds; each delivery's publish-to-delivery latency is the time of the read
 * that brought it minus that stamp (one clock: every client is in this process).
 *
 * Protocols (--protocol):
 *   ws        subscribe: text "sub", ack text "ok"; publish: the payload as a text message;
 *             delivery: the payload as a text message.
 *   socketio  Engine.IO 4 over a WebSocket (/socket.io/?EIO=4&transport=websocket): wait for
 *             the open packet "0{...}", send "40", wait for "40{...}"; subscribe: 42["sub"],
 *             ack 42["ok"]; publish 42["p","<payload>"]; delivery 42["m","<payload>"];
 *             a ping "2" gets a pong "3".
 *
 * Output: one JSON line {"event":"result",...} on stdout. Every loop is bounded in time:
 * --setup-max for connecting and subscribing, --warmup + --duration for the traffic.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

enum { PROTO_WS, PROTO_SOCKETIO };
enum { ST_CONNECTING, ST_REQUEST, ST_HEAD, ST_EIO_OPEN, ST_SIO_CONNECT, ST_SUBSCRIBING, ST_READY, ST_CLOSED };

#define HEAD_MAX 2048
#define MESSAGE_MAX 512
#define MAX_PORTS 8
#define MAX_PIDS 8
#define LATENCY_BUCKETS 1000000 /* 10 µs each, up to 10 s; slower deliveries land in the last */
#define LATENCY_BUCKET_NS 10000
#define PAYLOAD_LEN 32

typedef struct {
  int fd, state, port, publisher;
  int want_out;
  char head[HEAD_MAX];
  size_t head_len;
  unsigned char *out;
  size_t out_len, out_cap;
  unsigned char hdr[14];
  int hdr_len, hdr_need, opcode, fin, in_payload;
  uint64_t remaining;
  unsigned char message[MESSAGE_MAX];
  size_t message_len;
  int message_opcode, too_long;
  unsigned char control[125];
  size_t control_len;
} conn_t;

typedef struct {
  uint64_t seq, sent_ns;
  int count;
} slot_t;

/* --- options ------------------------------------------------------------------------------ */
static int protocol = PROTO_WS;
static int sub_ports[MAX_PORTS], sub_port_count = 0, pub_port = 0;
static int subscribers = 1000, window = 16, concurrency = 64;
static double warmup_s = 0.5, duration_s = 3.0, setup_max_s = 60.0, loss_timeout_s = 10.0;
static int server_pids[MAX_PIDS], server_pid_count = 0;

/* --- state -------------------------------------------------------------------------------- */
static int ep;
static conn_t *table, *publisher;
static int table_len;
static unsigned char readbuf[256 * 1024];
static unsigned char key[4];
static slot_t *ring;
static uint64_t next_seq = 0, done_seq = 0;
static int expected = 0, ready_subscribers = 0;
static int measuring = 0;
static uint64_t deliveries = 0, published = 0, lost = 0, late = 0, errors = 0, mismatches = 0;
static uint64_t pings = 0;
static uint32_t *latency_histogram;
static uint64_t latency_samples = 0, latency_max_ns = 0;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static double now_s(void) { return (double)now_ns() / 1e9; }

static void die(const char *message) {
  fprintf(stderr, "fanout: %s\n", message);
  exit(2);
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of a process from /proc/<pid>/stat (fields 14 and 15), in seconds; -1 if unknown. */
static double process_cpu_s(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2;
  for (int field = 3; field < 14 && *p; field++) {
    while (*p && *p != ' ') p++;
    while (*p == ' ') p++;
  }
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p, "%llu %llu", &utime, &stime) != 2) return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* --- output ------------------------------------------------------------------------------- */

static void set_events(conn_t *c, int want_out) {
  if (c->want_out == want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want_out;
}

static void reserve(conn_t *c, size_t more) {
  if (c->out_len + more <= c->out_cap) return;
  size_t cap = c->out_cap ? c->out_cap : 256;
  while (cap < c->out_len + more) cap *= 2;
  c->out = realloc(c->out, cap);
  if (!c->out) die("out of memory");
  c->out_cap = cap;
}

/* Appends a masked client frame (RFC 6455 §5.2, §5.3); payloads here are under 126 bytes. */
static void queue_frame(conn_t *c, int opcode, const void *payload, size_t len) {
  reserve(c, 6 + len);
  unsigned char *out = c->out + c->out_len;
  out[0] = (unsigned char)(0x80 | opcode);
  out[1] = (unsigned char)(0x80 | len);
  memcpy(out + 2, key, 4);
  for (size_t i = 0; i < len; i++) out[6 + i] = ((const unsigned char *)payload)[i] ^ key[i & 3];
  c->out_len += 6 + len;
}

static void queue_text(conn_t *c, const char *text) { queue_frame(c, 1, text, strlen(text)); }

static void close_conn(conn_t *c) {
  if (c->fd < 0) return;
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  if (c->state == ST_READY && !c->publisher) ready_subscribers--;
  c->state = ST_CLOSED;
}

static void fail(conn_t *c) {
  if (c->state == ST_CLOSED) return;
  errors++;
  close_conn(c);
}

static int flush_conn(conn_t *c) {
  size_t off = 0;
  while (off < c->out_len) {
    ssize_t n = write(c->fd, c->out + off, c->out_len - off);
    if (n < 0) {
      if (errno == EAGAIN) break;
      return -1;
    }
    off += (size_t)n;
  }
  memmove(c->out, c->out + off, c->out_len - off);
  c->out_len -= off;
  set_events(c, c->out_len > 0);
  return 0;
}

/* --- messages ----------------------------------------------------------------------------- */

static int hex_value(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

static int parse_hex16(const unsigned char *p, uint64_t *out) {
  uint64_t v = 0;
  for (int i = 0; i < 16; i++) {
    int d = hex_value(p[i]);
    if (d < 0) return -1;
    v = (v << 4) | (uint64_t)d;
  }
  *out = v;
  return 0;
}

static void record_latency(uint64_t ns) {
  uint64_t bucket = ns / LATENCY_BUCKET_NS;
  latency_histogram[bucket < LATENCY_BUCKETS ? bucket : LATENCY_BUCKETS - 1]++;
  latency_samples++;
  if (ns > latency_max_ns) latency_max_ns = ns;
}

static double percentile_us(double p) {
  if (latency_samples == 0) return -1;
  uint64_t rank = (uint64_t)(p * (double)(latency_samples - 1)), seen = 0;
  for (uint64_t bucket = 0; bucket < LATENCY_BUCKETS; bucket++) {
    seen += latency_histogram[bucket];
    if (seen > rank) return ((double)bucket + 0.5) * LATENCY_BUCKET_NS / 1000.0;
  }
  return (double)LATENCY_BUCKETS * LATENCY_BUCKET_NS / 1000.0;
}

static void delivered(const unsigned char *payload, uint64_t read_at) {
  uint64_t seq, sent;
  if (parse_hex16(payload, &seq) < 0 || parse_hex16(payload + 16, &sent) < 0) {
    mismatches++;
    return;
  }
  if (measuring) {
    deliveries++;
    record_latency(read_at > sent ? read_at - sent : 0);
  }
  slot_t *slot = &ring[seq % (uint64_t)window];
  if (slot->seq == seq && seq >= done_seq && seq < next_seq) slot->count++;
  else late++;
}

static const char *subscribe_request(void) { return protocol == PROTO_WS ? "sub" : "42[\"sub\"]"; }
static const char *subscribe_ack(void) { return protocol == PROTO_WS ? "ok" : "42[\"ok\"]"; }
static const char DELIVERY_PREFIX[] = "42[\"m\",\"";

static int is(const conn_t *c, const char *text) {
  size_t len = strlen(text);
  return c->message_len == len && memcmp(c->message, text, len) == 0;
}

static void became_ready(conn_t *c) {
  c->state = ST_READY;
  if (!c->publisher) ready_subscribers++;
}

/* A whole text message arrived on c. */
static void on_text(conn_t *c, uint64_t read_at) {
  if (protocol == PROTO_SOCKETIO && is(c, "2")) {
    pings++;
    queue_text(c, "3");
    return;
  }
  switch (c->state) {
  case ST_EIO_OPEN:
    if (c->message_len < 1 || c->message[0] != '0') return fail(c);
    queue_text(c, "40");
    c->state = ST_SIO_CONNECT;
    return;
  case ST_SIO_CONNECT:
    if (c->message_len < 2 || memcmp(c->message, "40", 2) != 0) return fail(c);
    if (c->publisher) return became_ready(c);
    queue_text(c, subscribe_request());
    c->state = ST_SUBSCRIBING;
    return;
  case ST_SUBSCRIBING:
    if (!is(c, subscribe_ack())) return fail(c);
    return became_ready(c);
  case ST_READY:
    if (c->publisher) return; /* nothing is sent to the publisher but pings */
    if (protocol == PROTO_WS && c->message_len == PAYLOAD_LEN) return delivered(c->message, read_at);
    if (protocol == PROTO_SOCKETIO && c->message_len == sizeof DELIVERY_PREFIX - 1 + PAYLOAD_LEN + 2 &&
        memcmp(c->message, DELIVERY_PREFIX, sizeof DELIVERY_PREFIX - 1) == 0)
      return delivered(c->message + sizeof DELIVERY_PREFIX - 1, read_at);
    mismatches++;
    return;
  default:
    return fail(c);
  }
}

/* Parses the server's frames (unmasked, RFC 6455 §5.1); returns -1 on a close frame or error. */
static int parse_frames(conn_t *c, const unsigned char *data, size_t len, uint64_t read_at) {
  size_t at = 0;
  while (at < len) {
    if (!c->in_payload) {
      if (c->hdr_len < 2) {
        c->hdr[c->hdr_len++] = data[at++];
        if (c->hdr_len < 2) continue;
        int len7 = c->hdr[1] & 0x7f;
        c->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
        if (c->hdr[1] & 0x80) return -1; /* a server must not mask */
      }
      while (c->hdr_len < c->hdr_need && at < len) c->hdr[c->hdr_len++] = data[at++];
      if (c->hdr_len < c->hdr_need) break;
      uint64_t length = c->hdr[1] & 0x7f;
      if (length == 126) length = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
      else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) length = (length << 8) | c->hdr[2 + i];
      }
      c->opcode = c->hdr[0] & 0x0f;
      if (c->opcode == 9) c->control_len = 0;
      c->fin = (c->hdr[0] & 0x80) != 0;
      if (c->opcode != 0 && c->opcode < 8) {
        c->message_len = 0;
        c->too_long = 0;
        c->message_opcode = c->opcode;
      }
      c->remaining = length;
      c->hdr_len = 0;
      c->in_payload = 1;
    }
    size_t take = c->remaining < (uint64_t)(len - at) ? (size_t)c->remaining : len - at;
    if (c->opcode < 8) {
      if (take > MESSAGE_MAX - c->message_len) c->too_long = 1;
      else memcpy(c->message + c->message_len, data + at, take), c->message_len += take;
    } else if (c->opcode == 9 && c->control_len + take <= sizeof c->control) {
      memcpy(c->control + c->control_len, data + at, take); /* at most 125 bytes: RFC 6455 §5.5 */
      c->control_len += take;
    }
    at += take;
    c->remaining -= take;
    if (c->remaining > 0) break;
    c->in_payload = 0;
    if (c->opcode == 8) return -1;
    if (c->opcode == 9) {
      queue_frame(c, 10, c->control, c->control_len); /* the pong echoes the ping: RFC 6455 §5.5.3 */
      c->control_len = 0;
      continue;
    }
    if (c->opcode >= 8 || !c->fin) continue;
    if (c->too_long || c->message_opcode != 1) {
      mismatches++;
      continue;
    }
    on_text(c, read_at);
    if (c->state == ST_CLOSED) return -1;
  }
  return 0;
}

static int read_head(conn_t *c, const unsigned char **data, size_t *len) {
  size_t room = HEAD_MAX - 1 - c->head_len;
  size_t copy = *len < room ? *len : room;
  memcpy(c->head + c->head_len, *data, copy);
  c->head_len += copy;
  c->head[c->head_len] = 0;
  char *end = strstr(c->head, "\r\n\r\n");
  if (!end) return c->head_len >= HEAD_MAX - 1 ? -1 : 0;
  if (strncmp(c->head, "HTTP/1.1 101", 12) != 0) {
    fprintf(stderr, "fanout: handshake refused: %.80s\n", c->head);
    return -1;
  }
  size_t used = (size_t)(end + 4 - c->head) - (c->head_len - copy);
  *data += used;
  *len -= used;
  if (protocol == PROTO_SOCKETIO) c->state = ST_EIO_OPEN;
  else if (c->publisher) became_ready(c);
  else {
    queue_text(c, subscribe_request());
    c->state = ST_SUBSCRIBING;
  }
  return 1;
}

static int read_conn(conn_t *c) {
  for (int rounds = 0; rounds < 4; rounds++) {
    ssize_t n = read(c->fd, readbuf, sizeof readbuf);
    if (n == 0) return -1;
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    uint64_t read_at = now_ns();
    const unsigned char *data = readbuf;
    size_t len = (size_t)n;
    if (c->state == ST_HEAD) {
      int r = read_head(c, &data, &len);
      if (r < 0) return -1;
      if (r == 0) continue;
    }
    if (len > 0 && parse_frames(c, data, len, read_at) < 0) return -1;
    if ((size_t)n < sizeof readbuf) return 0;
  }
  return 0;
}

/* --- connections -------------------------------------------------------------------------- */

static int open_conn(conn_t *c, int port) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  c->fd = fd;
  c->port = port;
  c->state = ST_CONNECTING;
  c->want_out = 1;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
    close(fd);
    c->fd = -1;
    return -1;
  }
  const char *path = protocol == PROTO_WS ? "/" : "/socket.io/?EIO=4&transport=websocket";
  char request[512];
  int n = snprintf(request, sizeof request,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   path, port);
  reserve(c, (size_t)n);
  memcpy(c->out, request, (size_t)n);
  c->out_len = (size_t)n;
  return 0;
}

static void handle_event(struct epoll_event *ev) {
  conn_t *c = ev->data.ptr;
  if (c->fd < 0) return;
  if (c->state == ST_CONNECTING) {
    if (ev->events & (EPOLLERR | EPOLLHUP)) return fail(c);
    if (!(ev->events & EPOLLOUT)) return;
    c->state = ST_REQUEST;
  }
  if (c->state == ST_REQUEST) {
    if (flush_conn(c) < 0) return fail(c);
    if (c->out_len == 0) c->state = ST_HEAD;
    return;
  }
  if ((ev->events & EPOLLOUT) && flush_conn(c) < 0) return fail(c);
  if ((ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && read_conn(c) < 0) return fail(c);
  if (c->fd >= 0 && c->out_len > 0 && flush_conn(c) < 0) return fail(c);
}

static struct epoll_event events[1024];

static void poll_once(int timeout_ms) {
  int n = epoll_wait(ep, events, 1024, timeout_ms);
  for (int i = 0; i < n; i++) handle_event(&events[i]);
}

/* --- the window --------------------------------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

/* Writes messages until `window` are in flight. */
static void publish_more(void) {
  if (publisher->state != ST_READY) return;
  while (next_seq - done_seq < (uint64_t)window) {
    uint64_t t = now_ns();
    char text[64];
    size_t at = 0;
    if (protocol == PROTO_SOCKETIO) at = (size_t)sprintf(text, "42[\"p\",\"");
    for (int i = 15; i >= 0; i--) text[at++] = hex_digits[(next_seq >> (4 * i)) & 15];
    for (int i = 15; i >= 0; i--) text[at++] = hex_digits[(t >> (4 * i)) & 15];
    if (protocol == PROTO_SOCKETIO) text[at++] = '"', text[at++] = ']';
    queue_frame(publisher, 1, text, at);
    slot_t *slot = &ring[next_seq % (uint64_t)window];
    slot->seq = next_seq;
    slot->sent_ns = t;
    slot->count = 0;
    next_seq++;
    if (measuring) published++;
  }
  if (flush_conn(publisher) < 0) fail(publisher);
}

/* Retires the messages every subscriber has, or that waited longer than --loss-timeout. */
static void retire(uint64_t t) {
  while (done_seq < next_seq) {
    slot_t *slot = &ring[done_seq % (uint64_t)window];
    if (slot->count < expected) {
      if ((double)(t - slot->sent_ns) / 1e9 < loss_timeout_s) break;
      if (measuring) lost += (uint64_t)(expected - slot->count);
    }
    done_seq++;
  }
}

/* --- main --------------------------------------------------------------------------------- */

static const char *arg(int argc, char **argv, const char *name) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  return NULL;
}

static int parse_list(const char *text, int *out, int max) {
  int count = 0;
  for (const char *p = text; p && *p && count < max;) {
    out[count++] = atoi(p);
    p = strchr(p, ',');
    if (p) p++;
  }
  return count;
}

/* Opens the subscribers (at most --concurrency handshakes at a time), then the publisher. */
static void set_up(void) {
  double deadline = now_s() + setup_max_s;
  int next = 0;
  while (now_s() < deadline) {
    int pending = 0;
    for (int i = 0; i < next; i++) pending += table[i].state != ST_READY && table[i].state != ST_CLOSED;
    while (next < subscribers && pending < concurrency) {
      if (open_conn(&table[next], sub_ports[next % sub_port_count]) < 0) {
        errors++;
        table[next].state = ST_CLOSED;
      } else pending++;
      next++;
    }
    if (next == subscribers && pending == 0) {
      if (publisher->fd < 0 && publisher->state != ST_CLOSED && open_conn(publisher, pub_port) < 0) die("no publisher");
      if (publisher->state == ST_READY) return;
      if (publisher->state == ST_CLOSED) die("the publisher could not connect");
    }
    poll_once(5);
  }
  die("setting up took longer than --setup-max");
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  const char *v;
  if ((v = arg(argc, argv, "--protocol"))) {
    if (strcmp(v, "socketio") == 0) protocol = PROTO_SOCKETIO;
    else if (strcmp(v, "ws") != 0) die("--protocol is ws or socketio");
  }
  if ((v = arg(argc, argv, "--sub-ports"))) sub_port_count = parse_list(v, sub_ports, MAX_PORTS);
  if ((v = arg(argc, argv, "--pub-port"))) pub_port = atoi(v);
  if ((v = arg(argc, argv, "--subscribers"))) subscribers = atoi(v);
  if ((v = arg(argc, argv, "--window"))) window = atoi(v);
  if ((v = arg(argc, argv, "--concurrency"))) concurrency = atoi(v);
  if ((v = arg(argc, argv, "--warmup"))) warmup_s = atof(v);
  if ((v = arg(argc, argv, "--duration"))) duration_s = atof(v);
  if ((v = arg(argc, argv, "--setup-max"))) setup_max_s = atof(v);
  if ((v = arg(argc, argv, "--loss-timeout"))) loss_timeout_s = atof(v);
  if ((v = arg(argc, argv, "--server-pids"))) server_pid_count = parse_list(v, server_pids, MAX_PIDS);
  if (sub_port_count == 0 || pub_port <= 0) die("--sub-ports and --pub-port are required");
  if (subscribers < 1 || subscribers > 50000 || window < 1 || window > 4096 || concurrency < 1) die("bad counts");
  if (!(duration_s > 0 && duration_s <= 60 && warmup_s >= 0 && warmup_s <= 30 && setup_max_s <= 300)) die("bad times");

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  srand((unsigned)now_ns());
  for (int i = 0; i < 4; i++) key[i] = (unsigned char)(rand() & 0xff);
  ep = epoll_create1(EPOLL_CLOEXEC);
  table_len = subscribers + 1;
  table = calloc((size_t)table_len, sizeof *table);
  ring = calloc((size_t)window, sizeof *ring);
  latency_histogram = calloc(LATENCY_BUCKETS, sizeof *latency_histogram);
  if (ep < 0 || !table || !ring || !latency_histogram) die("out of memory");
  for (int i = 0; i < table_len; i++) table[i].fd = -1;
  publisher = &table[subscribers];
  publisher->publisher = 1;
  for (int i = 0; i < window; i++) ring[i].seq = UINT64_MAX;

  double setup_started = now_s();
  set_up();
  double setup_seconds = now_s() - setup_started;
  expected = ready_subscribers;
  if (expected == 0) die("no subscriber is ready");

  double warm_end = now_s() + warmup_s, end = warm_end + duration_s, started = 0;
  double cpu0 = 0, server0[MAX_PIDS];
  while (1) {
    double t = now_s();
    if (!measuring && t >= warm_end) {
      measuring = 1;
      mismatches = 0;
      started = t;
      cpu0 = self_cpu_s();
      for (int i = 0; i < server_pid_count; i++) server0[i] = process_cpu_s(server_pids[i]);
    }
    if (t >= end || publisher->state == ST_CLOSED) break;
    retire(now_ns());
    publish_more();
    poll_once(1);
  }
  if (!measuring) die("the publisher's connection closed before the measured window");
  double seconds = now_s() - started;
  double cpu = self_cpu_s() - cpu0;
  printf("{\"event\":\"result\",\"seconds\":%.4f,\"subscribers\":%d,\"subscribersAtEnd\":%d,"
         "\"deliveries\":%llu,\"published\":%llu,\"lost\":%llu,\"late\":%llu,\"errors\":%llu,"
         "\"mismatches\":%llu,\"pings\":%llu,\"setupSeconds\":%.3f,\"latencySamples\":%llu,"
         "\"p50Us\":%.1f,\"p99Us\":%.1f,\"maxUs\":%.1f,\"clientCpuSeconds\":%.4f,\"serverCpuSeconds\":[",
         seconds, expected, ready_subscribers, (unsigned long long)deliveries,
         (unsigned long long)published, (unsigned long long)lost, (unsigned long long)late,
         (unsigned long long)errors, (unsigned long long)mismatches, (unsigned long long)pings,
         setup_seconds, (unsigned long long)latency_samples, percentile_us(0.50), percentile_us(0.99),
         latency_max_ns / 1000.0, cpu);
  for (int i = 0; i < server_pid_count; i++) {
    double s1 = process_cpu_s(server_pids[i]);
    printf("%s%.4f", i ? "," : "", server0[i] >= 0 && s1 >= 0 ? s1 - server0[i] : -1.0);
  }
  printf("]}\n");
  fflush(stdout);
  return 0;
}
