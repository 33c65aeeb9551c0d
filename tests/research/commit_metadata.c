/*
 * Does librdkafka (Debian 2.0.2) commit offset metadata and read it back via
 * rd_kafka_committed()? Is a commit from a non-member fenced while the group
 * has a live member?
 *   cc -o /tmp/commit_metadata tests/research/commit_metadata.c -lrdkafka
 *   /tmp/commit_metadata BOOTSTRAP TOPIC
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static rd_kafka_t *mk(const char *bs, const char *group) {
	char e[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", bs, e, sizeof e);
	rd_kafka_conf_set(c, "group.id", group, e, sizeof e);
	rd_kafka_conf_set(c, "enable.auto.commit", "false", e, sizeof e);
	rd_kafka_conf_set(c, "partition.assignment.strategy", "cooperative-sticky", e, sizeof e);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof e);
	if (!rk) { fprintf(stderr, "%s\n", e); exit(1); }
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

static void commit(rd_kafka_t *rk, const char *who, const char *topic,
		   int64_t off, const char *md) {
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_add(l, topic, 0);
	p->offset = off;
	p->metadata = strdup(md);
	p->metadata_size = strlen(md);
	rd_kafka_resp_err_t err = rd_kafka_commit(rk, l, 0);
	printf("%s: commit offset=%lld metadata=\"%.40s\" (%zu bytes) -> %s (partition err %s)\n",
	       who, (long long)off, md, strlen(md), rd_kafka_err2name(err),
	       rd_kafka_err2name(l->elems[0].err));
	rd_kafka_topic_partition_list_destroy(l);
}

static void committed(rd_kafka_t *rk, const char *who, const char *topic) {
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, 0);
	rd_kafka_resp_err_t err = rd_kafka_committed(rk, l, 10000);
	rd_kafka_topic_partition_t *p = &l->elems[0];
	printf("%s: committed -> %s offset=%lld metadata=\"%.*s\" (%zu bytes)\n",
	       who, rd_kafka_err2name(err), (long long)p->offset,
	       (int)p->metadata_size, p->metadata ? (char *)p->metadata : "",
	       p->metadata_size);
	rd_kafka_topic_partition_list_destroy(l);
}

int main(int argc, char **argv) {
	const char *bs = argv[1], *topic = argv[2];
	char group[64];
	snprintf(group, sizeof group, "rs-meta-%ld", (long)time(NULL));
	printf("librdkafka %s, group %s\n", rd_kafka_version_str(), group);

	rd_kafka_t *a = mk(bs, group);
	rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(a, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	/* poll until assigned (rebalance handled by the default: incremental assign) */
	for (int i = 0; i < 300; i++) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(a, 100);
		if (m) rd_kafka_message_destroy(m);
		rd_kafka_topic_partition_list_t *as = NULL;
		rd_kafka_assignment(a, &as);
		int n = as ? as->cnt : 0;
		if (as) rd_kafka_topic_partition_list_destroy(as);
		if (n > 0) break;
	}
	rd_kafka_consumer_group_metadata_t *g = rd_kafka_consumer_group_metadata(a);
	printf("member A joined\n");
	rd_kafka_consumer_group_metadata_destroy(g);

	/* 1. a pending range recorded as metadata with the committed offset a */
	commit(a, "A (member)", topic, 100, "chute1 p=100-199 e=17");
	committed(a, "A", topic);

	/* 2. a large metadata string (broker offset.metadata.max.bytes, default 4096) */
	char big[5000];
	memset(big, 'x', sizeof big - 1); big[sizeof big - 1] = 0;
	commit(a, "A (5000-byte metadata)", topic, 100, big);

	/* 3. a different client, not a member of the group (no subscribe) */
	rd_kafka_t *b = mk(bs, group);
	committed(b, "B (non-member)", topic);
	commit(b, "B (non-member, group has live member A)", topic, 200, "zombie");
	committed(b, "B", topic);

	/* 4. A commits the next range after B's attempt */
	commit(a, "A (member)", topic, 200, "");
	committed(b, "B", topic);

	rd_kafka_consumer_close(a);
	rd_kafka_destroy(a);
	/* 5. group now empty: a non-member commit is accepted (no fencing) */
	commit(b, "B (non-member, group empty)", topic, 300, "after-A-left");
	committed(b, "B", topic);
	rd_kafka_destroy(b);
	return 0;
}
