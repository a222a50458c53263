/*
 * http.c - fdl-server's HTTP/1.1 face, through libmicrohttpd (keep-alive,
 * a thread pool of --threads workers, epoll): request bodies gathered up
 * to --max-body (413 past it, announced or not), bearer-token auth with a
 * constant-time compare, dispatch by method and path, and each answer
 * timed into the metrics.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

struct http_daemon {
    struct MHD_Daemon *mhd;
};

/* One request's state between libmicrohttpd's calls. */
typedef struct request {
    uint64_t start_ns;
    char *body;
    size_t length, capacity;
    bool too_big;
} request;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void reply_error(reply *r, int status, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    r->status = status;
    r->type = "application/json";
    if (out) {
        fputs("{\"error\": ", out);
        json_write_string(out, message, strlen(message));
        fputs("}\n", out);
    }
    if (!out || fclose(out) != 0) {
        free(text);
        static const char oom[] = "{\"error\": \"out of memory\"}\n";
        r->body = strdup(oom);
        r->length = r->body ? sizeof oom - 1 : 0;
        return;
    }
    r->body = text;
    r->length = length;
}

void reply_json(reply *r, int status, char *text, size_t length)
{
    r->status = status;
    r->type = "application/json";
    r->body = text;
    r->length = length;
}

/* Equal without leaking where they differ: the time depends only on the
 * length of what was sent. */
static bool equal_secret(const char *given, size_t given_length, const char *secret, size_t length)
{
    unsigned char diff = given_length != length;
    for (size_t i = 0; i < given_length; i++)
        diff |= (unsigned char)(given[i] ^ secret[i < length ? i : 0]);
    return diff == 0 && length > 0;
}

static bool authorized(server *s, struct MHD_Connection *c)
{
    if (!s->token)
        return true;
    const char *value = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!value || strncmp(value, "Bearer ", 7) != 0)
        return false;
    return equal_secret(value + 7, strlen(value + 7), s->token, s->token_length);
}

static endpoint endpoint_of(const char *url)
{
    static const struct { const char *path; endpoint e; } paths[] = {
        {"/get-online-features", EP_GET_FEATURES}, {"/push", EP_PUSH}, {"/health", EP_HEALTH},
        {"/ready", EP_READY}, {"/metrics", EP_METRICS}, {"/schema", EP_SCHEMA},
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (strcmp(url, paths[i].path) == 0)
            return paths[i].e;
    return EP_OTHER;
}

static void reply_text(reply *r, int status, const char *type, const char *text)
{
    r->status = status;
    r->type = type;
    r->body = strdup(text);
    r->length = r->body ? strlen(text) : 0;
}

static void api_schema_reply(server *s, reply *r)
{
    if (s->lib.manifest) {
        r->status = 200;
        r->type = "application/json";
        r->body = malloc(s->lib.manifest_length + 1);
        if (r->body)
            memcpy(r->body, s->lib.manifest, s->lib.manifest_length);
        r->length = r->body ? s->lib.manifest_length : 0;
        return;
    }
    reply_error(r, 404, "no manifest beside the library %s", s->lib.path);
}

static void dispatch(server *s, endpoint e, const char *method, request *q, reply *r)
{
    bool writes = e == EP_GET_FEATURES || e == EP_PUSH;
    if (e == EP_OTHER)
        reply_error(r, 404, "no such endpoint (POST /get-online-features, POST /push,"
                            " GET /health, /ready, /metrics, /schema)");
    else if (strcmp(method, writes ? "POST" : "GET") != 0)
        reply_error(r, 405, "%s takes %s", endpoint_name(e), writes ? "POST" : "GET");
    else if (e == EP_HEALTH)
        reply_text(r, 200, "application/json", "{\"status\": \"alive\"}\n");
    else if (e == EP_METRICS)
        api_metrics(s, r);
    else if (!atomic_load(&s->ready))
        reply_error(r, 503, "recovering: not serving yet");
    else if (e == EP_READY)
        reply_text(r, 200, "application/json", "{\"status\": \"ready\"}\n");
    else if (e == EP_SCHEMA)
        api_schema_reply(s, r);
    else if (q->too_big)
        reply_error(r, 413, "request body over %zu bytes (--max-body)", s->options.max_body);
    else if (e == EP_GET_FEATURES)
        api_get_online_features(s, q->body ? q->body : "", q->length, r);
    else
        api_push(s, q->body ? q->body : "", q->length, r);
}

/* Gathers a chunk of the body; past the limit, the rest is read and dropped. */
static void take_body(server *s, request *q, const char *data, size_t size)
{
    if (q->too_big || q->length + size > s->options.max_body) {
        q->too_big = true;
        free(q->body);
        q->body = NULL;
        q->length = q->capacity = 0;
        return;
    }
    if (q->length + size + 1 > q->capacity) {
        size_t capacity = q->capacity ? q->capacity : 4096;
        while (capacity < q->length + size + 1)
            capacity *= 2;
        char *body = realloc(q->body, capacity);
        if (!body) {
            q->too_big = true;
            return;
        }
        q->body = body;
        q->capacity = capacity;
    }
    memcpy(q->body + q->length, data, size);
    q->length += size;
    q->body[q->length] = '\0';
}

static enum MHD_Result answer(struct MHD_Connection *c, server *s, endpoint e, request *q, reply *r)
{
    if (!r->body) {
        r->status = 500;
        r->type = "text/plain";
    }
    struct MHD_Response *response = MHD_create_response_from_buffer(
        r->body ? r->length : 0, r->body, r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!response) {
        free(r->body);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    if (r->status == 401)
        MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result result = MHD_queue_response(c, (unsigned)r->status, response);
    MHD_destroy_response(response);
    metrics_observe(&s->metrics, e, r->status, now_ns() - q->start_ns);
    return result;
}

/*
 * libmicrohttpd calls this once with the headers, then once per chunk of
 * the body, then once more with none. Auth and an announced oversize body
 * are answered at the first call, before any body is read (a response may
 * be queued then, or at the last call, never in between).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    server *s = cls;
    request *q = *state;
    endpoint e = endpoint_of(url);
    reply r = {0};
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        q->start_ns = now_ns();
        *state = q;
        const char *announced = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!authorized(s, c)) {
            atomic_fetch_add(&s->metrics.auth_failures, 1);
            reply_error(&r, 401, "missing or wrong bearer token (Authorization: Bearer TOKEN)");
        } else if (announced && strtoull(announced, NULL, 10) > s->options.max_body) {
            reply_error(&r, 413, "request body over %zu bytes (--max-body)", s->options.max_body);
        } else {
            return MHD_YES;
        }
        return answer(c, s, e, q, &r);
    }
    if (*size) {
        take_body(s, q, data, *size);
        *size = 0;
        return MHD_YES;
    }
    dispatch(s, e, method, q, &r);
    return answer(c, s, e, q, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code)
{
    request *q = *state;
    if (q) {
        free(q->body);
        free(q);
    }
    *state = NULL;
}

/* HOST:PORT (IPv4) into addr; false when malformed. */
static bool parse_listen(const char *text, struct sockaddr_in *addr)
{
    const char *colon = strrchr(text, ':');
    char host[64];
    if (!colon || (size_t)(colon - text) >= sizeof host)
        return false;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return false;
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &addr->sin_addr) == 1;
}

http_daemon *http_start(server *s, char *bound, size_t size)
{
    struct sockaddr_in addr;
    if (!parse_listen(s->options.listen, &addr)) {
        fprintf(stderr, "fdl-server: --listen '%s': expected IPV4:PORT (e.g. 127.0.0.1:6566)\n",
                s->options.listen);
        return NULL;
    }
    http_daemon *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->options.threads,
                              MHD_OPTION_CONNECTION_TIMEOUT, s->options.timeout,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_END);
    if (!d->mhd) {
        fprintf(stderr, "fdl-server: cannot listen on %s\n", s->options.listen);
        free(d);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
    snprintf(bound, size, "%s:%u", host, info ? (unsigned)info->port : (unsigned)ntohs(addr.sin_port));
    return d;
}

void http_stop(http_daemon *d)
{
    if (!d)
        return;
    MHD_stop_daemon(d->mhd);
    free(d);
}
