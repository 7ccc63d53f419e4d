// tlsload: a TLS load generator that controls what wrk and h2load do not: whether each new
// connection makes a full handshake or resumes a session, and how many keep-alive requests it
// then carries. One blocking thread per connection; every thread loops until the deadline:
//
//   connect, TLS handshake (full, or resuming the session its previous connection got),
//   N x (GET, read the whole response), close.
//
// The last request of a connection says "Connection: close", so the server closes too.
// Latency of a request: from when it is due until its response has been read, so the first
// request of a connection includes connecting and the handshake. Prints one JSON object.
//
//   tlsload -p PORT [-a 127.0.0.1] [-s localhost] [-P /path] [-c 50] [-d 10] [-n 1] [-r]
//   tlsload -V    (the OpenSSL it runs with)
//
// Built by the benchmark (cc -O2 tlsload.c -lssl -lcrypto -lpthread) into its scratch dir.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *addr = "127.0.0.1";
static int port = 0;
static const char *sni = "localhost";
static const char *path = "/";
static int conns = 50;
static double duration = 10;
static int per_conn = 1;
static int resume = 0;
static SSL_CTX *ctx;
static double deadline;

struct stats {
  uint64_t connections, full, resumed, requests;
  uint64_t err_connect, err_handshake, err_io, err_status, bytes;
  uint32_t *lat_us;
  size_t nlat, caplat;
  char protocol[32], cipher[64];
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void record(struct stats *s, double seconds) {
  if (s->nlat == s->caplat) {
    s->caplat = s->caplat ? s->caplat * 2 : 65536;
    s->lat_us = realloc(s->lat_us, s->caplat * sizeof(uint32_t));
    if (!s->lat_us) abort();
  }
  double us = seconds * 1e6;
  s->lat_us[s->nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static int open_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // A stuck peer must not hold a thread past the deadline for long.
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, addr, &sa.sin_addr);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads one HTTP/1.1 response (Content-Length or read-to-close bodies). Returns the status, or -1.
static int read_response(SSL *ssl, uint64_t *bytes) {
  char buf[16384 + 1];
  const size_t cap = sizeof buf - 1;
  size_t have = 0;
  char *end = NULL;
  while (!end) {
    if (have == cap) return -1;
    int n = SSL_read(ssl, buf + have, (int)(cap - have));
    if (n <= 0) return -1;
    have += (size_t)n;
    end = memmem(buf, have, "\r\n\r\n", 4);
  }
  buf[have] = 0; // the header scan below uses string functions
  *bytes += have;
  size_t head = (size_t)(end - buf) + 4;
  int status = -1;
  if (have < 12 || sscanf(buf, "HTTP/1.%*c %d", &status) != 1) return -1;
  long long length = -1;
  for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "content-length:", 15) == 0) length = atoll(line + 17);
    if (strncasecmp(line + 2, "transfer-encoding:", 18) == 0) return -1; // not sent by these upstreams
  }
  long long left = length < 0 ? -1 : length - (long long)(have - head);
  while (left != 0) {
    int n = SSL_read(ssl, buf, (int)cap);
    if (n <= 0) {
      if (length < 0) break; // body delimited by the close
      return -1;
    }
    *bytes += (size_t)n;
    if (left > 0) left -= n;
  }
  return status;
}

static void *worker(void *arg) {
  struct stats *s = arg;
  SSL_SESSION *session = NULL;
  char req[1024], req_close[1024];
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsload\r\n\r\n", path, sni);
  snprintf(req_close, sizeof req_close,
           "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsload\r\nConnection: close\r\n\r\n", path, sni);
  while (now() < deadline) {
    double t0 = now();
    int fd = open_socket();
    if (fd < 0) {
      s->err_connect++;
      usleep(1000);
      continue;
    }
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, sni);
    if (resume && session) SSL_set_session(ssl, session);
    if (SSL_connect(ssl) != 1) {
      s->err_handshake++;
      ERR_clear_error();
      SSL_free(ssl);
      close(fd);
      continue;
    }
    s->connections++;
    if (SSL_session_reused(ssl)) s->resumed++;
    else s->full++;
    if (!s->protocol[0]) {
      snprintf(s->protocol, sizeof s->protocol, "%s", SSL_get_version(ssl));
      snprintf(s->cipher, sizeof s->cipher, "%s", SSL_get_cipher_name(ssl));
    }
    int ok = 1;
    for (int i = 0; i < per_conn && ok; i++) {
      if (i > 0) {
        if (now() >= deadline) break;
        t0 = now();
      }
      const char *r = i == per_conn - 1 ? req_close : req;
      int len = (int)strlen(r);
      if (SSL_write(ssl, r, len) != len) {
        s->err_io++;
        ok = 0;
        break;
      }
      int status = read_response(ssl, &s->bytes);
      if (status < 0) {
        s->err_io++;
        ok = 0;
        break;
      }
      s->requests++;
      if (status < 200 || status > 399) s->err_status++;
      record(s, now() - t0);
    }
    if (resume && ok) {
      // In TLS 1.3 the ticket arrives after the handshake; by now (a response has been read) the
      // connection's session carries the newest one. Keep the old one if it does not.
      SSL_SESSION *next = SSL_get1_session(ssl);
      if (next && SSL_SESSION_is_resumable(next)) {
        if (session) SSL_SESSION_free(session);
        session = next;
      } else if (next) SSL_SESSION_free(next);
    }
    if (ok) SSL_shutdown(ssl);
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
  }
  if (session) SSL_SESSION_free(session);
  return NULL;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double pct_ms(const uint32_t *sorted, size_t n, double q) {
  if (n == 0) return -1;
  size_t i = (size_t)(q * (double)n + 0.999999);
  if (i < 1) i = 1;
  if (i > n) i = n;
  return sorted[i - 1] / 1000.0;
}

static void usage(void) {
  fprintf(stderr, "usage: tlsload -p PORT [-a ADDR] [-s SNI] [-P PATH] [-c CONNS] [-d SECONDS] [-n REQS] [-r]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int opt;
  while ((opt = getopt(argc, argv, "a:p:s:P:c:d:n:rV")) != -1) {
    switch (opt) {
      case 'V': printf("%s\n", OpenSSL_version(OPENSSL_VERSION)); return 0;
      case 'a': addr = optarg; break;
      case 'p': port = atoi(optarg); break;
      case 's': sni = optarg; break;
      case 'P': path = optarg; break;
      case 'c': conns = atoi(optarg); break;
      case 'd': duration = atof(optarg); break;
      case 'n': per_conn = atoi(optarg); break;
      case 'r': resume = 1; break;
      default: usage();
    }
  }
  if (port <= 0 || conns <= 0 || per_conn <= 0 || duration <= 0) usage();
  ctx = SSL_CTX_new(TLS_client_method());
  // The benchmark's certificate is self-signed; verification is not what is measured.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  // Sessions are only resumed when this program says so (SSL_set_session), never from a cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  static const unsigned char alpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);

  struct stats *st = calloc((size_t)conns, sizeof *st);
  pthread_t *th = calloc((size_t)conns, sizeof *th);
  if (!st || !th) abort();
  double start = now();
  deadline = start + duration;
  for (int i = 0; i < conns; i++) {
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    if (pthread_create(&th[i], &at, worker, &st[i]) != 0) {
      fprintf(stderr, "tlsload: cannot start thread %d\n", i);
      return 1;
    }
    pthread_attr_destroy(&at);
  }
  struct stats t = {0};
  for (int i = 0; i < conns; i++) {
    pthread_join(th[i], NULL);
    t.connections += st[i].connections;
    t.full += st[i].full;
    t.resumed += st[i].resumed;
    t.requests += st[i].requests;
    t.err_connect += st[i].err_connect;
    t.err_handshake += st[i].err_handshake;
    t.err_io += st[i].err_io;
    t.err_status += st[i].err_status;
    t.bytes += st[i].bytes;
    t.nlat += st[i].nlat;
    if (!t.protocol[0]) {
      memcpy(t.protocol, st[i].protocol, sizeof t.protocol);
      memcpy(t.cipher, st[i].cipher, sizeof t.cipher);
    }
  }
  double seconds = now() - start;
  uint32_t *all = malloc((t.nlat ? t.nlat : 1) * sizeof(uint32_t));
  if (!all) abort();
  size_t k = 0;
  for (int i = 0; i < conns; i++) {
    if (st[i].nlat) memcpy(all + k, st[i].lat_us, st[i].nlat * sizeof(uint32_t));
    k += st[i].nlat;
  }
  qsort(all, t.nlat, sizeof(uint32_t), cmp_u32);
  printf("{\"seconds\":%.4f,\"connections\":%llu,\"full\":%llu,\"resumed\":%llu,\"requests\":%llu,"
         "\"errConnect\":%llu,\"errHandshake\":%llu,\"errIo\":%llu,\"errStatus\":%llu,\"bytes\":%llu,"
         "\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"protocol\":\"%s\",\"cipher\":\"%s\"}\n",
         seconds, (unsigned long long)t.connections, (unsigned long long)t.full, (unsigned long long)t.resumed,
         (unsigned long long)t.requests, (unsigned long long)t.err_connect, (unsigned long long)t.err_handshake,
         (unsigned long long)t.err_io, (unsigned long long)t.err_status, (unsigned long long)t.bytes,
         pct_ms(all, t.nlat, 0.5), pct_ms(all, t.nlat, 0.99), t.protocol, t.cipher);
  return 0;
}
