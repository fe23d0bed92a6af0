/*
 * kafka-mock: a local Kafka cluster for development and tests, built on the
 * librdkafka mock cluster (rdkafka_mock.h).
 *
 * Usage: kafka-mock [brokers]   (default 3)
 *
 * Prints one line "READY <bootstrap servers>" on stdout once the cluster
 * listens, then reads commands from stdin, one per line, and answers each
 * with "OK <command>" or "ERR <reason>":
 *
 *   topic <name> <partitions> <replication>   create a topic
 *   down <brokerId>                           take a broker down (-1: all)
 *   up <brokerId>                             bring a broker back (-1: all)
 *   quit                                      destroy the cluster and exit 0
 *
 * End of input (the parent process went away) also destroys the cluster and
 * exits 0, so the cluster never outlives the process that started it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define LINE_MAX_LEN 1024

static int parse_int(const char *s, long min, long max, int *out) {
  char *end = NULL;
  long v;
  if (s == NULL || *s == '\0') return -1;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
  *out = (int)v;
  return 0;
}

static void reply_err(const char *reason) {
  printf("ERR %s\n", reason);
  fflush(stdout);
}

static void reply_kafka(const char *command, rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    printf("OK %s\n", command);
  } else {
    printf("ERR %s: %s\n", rd_kafka_err2name(err), rd_kafka_err2str(err));
  }
  fflush(stdout);
}

/* Returns 1 when the program should exit. */
static int handle(rd_kafka_mock_cluster_t *mcluster, char *line) {
  char original[LINE_MAX_LEN];
  char *save = NULL;
  char *cmd;
  char *a1;
  char *a2;
  char *a3;
  char *extra;

  snprintf(original, sizeof(original), "%s", line);
  cmd = strtok_r(line, " \t", &save);
  if (cmd == NULL) {
    reply_err("empty command");
    return 0;
  }
  a1 = strtok_r(NULL, " \t", &save);
  a2 = strtok_r(NULL, " \t", &save);
  a3 = strtok_r(NULL, " \t", &save);
  extra = strtok_r(NULL, " \t", &save);

  if (strcmp(cmd, "quit") == 0) {
    printf("OK %s\n", original);
    fflush(stdout);
    return 1;
  }

  if (strcmp(cmd, "topic") == 0) {
    int partitions;
    int replication;
    if (a1 == NULL || extra != NULL || parse_int(a2, 1, 100000, &partitions) != 0 ||
        parse_int(a3, 1, 1000, &replication) != 0) {
      reply_err("usage: topic <name> <partitions> <replication>");
      return 0;
    }
    reply_kafka(original, rd_kafka_mock_topic_create(mcluster, a1, partitions, replication));
    return 0;
  }

  if (strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) {
    int broker;
    if (a2 != NULL || parse_int(a1, -1, INT_MAX, &broker) != 0) {
      reply_err("usage: down|up <brokerId>");
      return 0;
    }
    if (strcmp(cmd, "down") == 0) {
      reply_kafka(original, rd_kafka_mock_broker_set_down(mcluster, broker));
    } else {
      reply_kafka(original, rd_kafka_mock_broker_set_up(mcluster, broker));
    }
    return 0;
  }

  reply_err("unknown command");
  return 0;
}

int main(int argc, char **argv) {
  int brokers = 3;
  char errstr[512];
  char line[LINE_MAX_LEN];
  rd_kafka_conf_t *conf;
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mcluster;

  if (argc > 2 || (argc == 2 && parse_int(argv[1], 1, 64, &brokers) != 0)) {
    fprintf(stderr, "usage: %s [brokers 1..64]\n", argv[0]);
    return 2;
  }

  /* The mock cluster needs a client instance as its host; it is never used to produce. */
  conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "config: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }

  mcluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (mcluster == NULL) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  printf("READY %s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
  fflush(stdout);

  while (fgets(line, sizeof(line), stdin) != NULL) {
    size_t len = strlen(line);
    if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
      int c;
      while ((c = getchar()) != EOF && c != '\n') {
      }
      reply_err("command too long");
      continue;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (len == 0) continue;
    if (handle(mcluster, line)) break;
  }

  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
