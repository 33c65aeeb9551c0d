/* rate_produce.c — produce JSON lines to Kafka at a fixed rate, for
 * bench/latency.sh.
 *
 *   rate_produce -b BOOTSTRAP -t TOPIC -i ROWS.jsonl -r ROWS_PER_S -d SECONDS
 *                [-s SAMPLE_EVERY] [-o PROBES.csv]
 *
 * Message seq (0, 1, 2, ...) is the line seq % lines of ROWS.jsonl with the
 * value of its first field (event_id / id) replaced by seq, so every row is
 * unique and findable by its primary key. Pacing: every millisecond the
 * producer sends the messages that are due by then (start + seq / rate). Each
 * message carries an explicit Kafka timestamp (CreateTime, epoch ms, taken
 * just before the produce call); for every SAMPLE_EVERY-th message
 * "seq,timestamp_ms" goes to PROBES.csv (written as PROBES.csv.tmp and
 * renamed when complete). Unkeyed, so librdkafka spreads the
 * messages over the partitions. Prints "sent N in S s (R rows/s)" on stderr.
 *
 * Built by latency.sh with: cc -O2 rate_produce.c -lrdkafka
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void die(const char *what)
{
    fprintf(stderr, "rate_produce: %s\n", what);
    exit(1);
}

/* one input line, split around the value of its first field */
struct line {
    char *head;  /* up to and including the first ':' */
    char *tail;  /* from the first ',' after it (without the newline) */
};

static struct line *read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open the input file");
    size_t cap = 1024, len = 0, bufcap = 0;
    struct line *v = malloc(cap * sizeof *v);
    char *buf = NULL;
    ssize_t got;
    while ((got = getline(&buf, &bufcap, f)) > 0) {
        if (buf[got - 1] == '\n')
            buf[--got] = '\0';
        char *colon = strchr(buf, ':');
        char *comma = colon ? strchr(colon, ',') : NULL;
        if (!comma)
            die("input line without a first field");
        if (len == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[len].head = strndup(buf, (size_t)(colon - buf + 1));
        v[len].tail = strdup(comma);
        len++;
    }
    free(buf);
    fclose(f);
    if (len == 0)
        die("empty input file");
    *n = len;
    return v;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL, *input = NULL, *probes = NULL;
    double rate = 0, seconds = 0;
    long sample = 100;
    int opt;
    while ((opt = getopt(argc, argv, "b:t:i:r:d:s:o:")) != -1) {
        switch (opt) {
        case 'b': bootstrap = optarg; break;
        case 't': topic = optarg; break;
        case 'i': input = optarg; break;
        case 'r': rate = atof(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 's': sample = atol(optarg); break;
        case 'o': probes = optarg; break;
        default: die("usage: -b BOOTSTRAP -t TOPIC -i ROWS.jsonl -r RATE -d SECONDS [-s N] [-o FILE]");
        }
    }
    if (!bootstrap || !topic || !input || rate <= 0 || seconds <= 0 || sample <= 0)
        die("usage: -b BOOTSTRAP -t TOPIC -i ROWS.jsonl -r RATE -d SECONDS [-s N] [-o FILE]");

    size_t nlines;
    struct line *lines = read_lines(input, &nlines);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", probes ? probes : "");
    FILE *pf = probes ? fopen(tmp, "w") : NULL;
    if (probes && !pf)
        die("cannot open the probes file");

    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {
        {"bootstrap.servers", bootstrap},
        {"linger.ms", "5"},
        {"queue.buffering.max.messages", "2000000"},
        {"queue.buffering.max.kbytes", "1048576"},
    };
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err, sizeof err) != RD_KAFKA_CONF_OK)
            die(err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk)
        die(err);

    const uint64_t total = (uint64_t)(rate * seconds);
    char *msg = malloc(1 << 16);
    uint64_t seq = 0;
    const double t0 = mono_s();
    while (seq < total) {
        uint64_t due = (uint64_t)((mono_s() - t0) * rate) + 1;
        if (due > total)
            due = total;
        for (; seq < due; seq++) {
            const struct line *l = &lines[seq % nlines];
            int len = snprintf(msg, 1 << 16, "%s%" PRIu64 "%s", l->head, seq, l->tail);
            if (len <= 0 || len >= (1 << 16))
                die("line too long");
            int64_t ts = wall_ms();
            rd_kafka_resp_err_t e;
            while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                          RD_KAFKA_V_VALUE(msg, (size_t)len),
                                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                          RD_KAFKA_V_TIMESTAMP(ts),
                                          RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 10);
            if (e)
                die(rd_kafka_err2str(e));
            if (pf && seq % (uint64_t)sample == 0)
                fprintf(pf, "%" PRIu64 ",%" PRId64 "\n", seq, ts);
        }
        rd_kafka_poll(rk, 0);
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    double took = mono_s() - t0;
    if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("flush timed out");
    fprintf(stderr, "sent %" PRIu64 " in %.2f s (%.0f rows/s)\n", seq, took, seq / took);
    if (pf && (fclose(pf) != 0 || rename(tmp, probes) != 0))
        die("cannot write the probes file");
    rd_kafka_destroy(rk);
    return 0;
}
