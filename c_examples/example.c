/*
 * Calling onetrans from C, the way a hospital information system does.
 *
 * Build (Linux):  cc -Wall -Wextra -Werror -Iinclude c_examples/example.c -Ltarget/debug -lonetrans -lpthread
 * Run:            LD_LIBRARY_PATH=target/debug ./a.out http://127.0.0.1:PORT http://127.0.0.1:CLOSED_PORT
 *
 * The first argument is the base URL of a portal (the simulator: cargo run -p onetrans-portal),
 * the second one of a port where nothing listens. Each check prints one line; the program ends
 * with "N passed, M failed" and exits non-zero if anything failed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onetrans.h"

#define APP_ID "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN"
#define APP_KEY "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"
#define OUT_SIZE 65536
#define THREADS 8

static int passed, failed;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(int ok, const char *what, const char *code, const char *out)
{
    pthread_mutex_lock(&count_lock);
    if (ok) {
        passed++;
        printf("ok   %s (%s)\n", what, code ? code : "-");
    } else {
        failed++;
        printf("FAIL %s: code %s, output %.300s\n", what, code ? code : "(null)", out ? out : "(null)");
    }
    pthread_mutex_unlock(&count_lock);
}

/* A pushMsg input for the vendor document's example, with the given address and order id.
 * The timestamp is left empty: the library stamps the current China time. */
static void push_msg_input(char *buf, size_t size, const char *url, const char *order)
{
    snprintf(buf, size,
             "{\"data\":{\"serverAddr\":\"%s\",\"appId\":\"" APP_ID "\",\"appKey\":\"" APP_KEY "\","
             "\"encryptType\":\"SM4\",\"signType\":\"SM3\",\"timestamp\":\"\",\"version\":\"1.0.0\","
             "\"medOrgOrd\":\"%s\",\"orderStatus\":\"MERCHANT_WAIT_PAY\",\"orgCode\":\"H46040100001\","
             "\"patientName\":\"\xe5\x91\xa8\xe5\xa4\xa7\xe9\xb9\x8f\",\"idType\":\"02\","
             "\"idNo\":\"460029196507081627\",\"pushType\":\"HOSPITAL_PAYMENT\",\"amt\":12.50},"
             "\"orgId\":\"H46010000000\"}",
             url, order);
}

struct worker {
    const char *url;
    int index;
    int ok;
};

/* Each thread sends its own order id to the echo path and must get exactly its own back. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char in[2048], order[64], *out = malloc(OUT_SIZE);
    w->ok = out != NULL;
    for (int round = 0; out && round < 5; round++) {
        snprintf(order, sizeof order, "ORDER-%02d-%02d", w->index, round);
        push_msg_input(in, sizeof in, w->url, order);
        const char *code = MobileTrans(in, out);
        if (strcmp(code, "000000") != 0 || strstr(out, order) == NULL || strstr(out, "\"amt\":12.50") == NULL) {
            check(0, "thread answer matches its own request", code, out);
            w->ok = 0;
        }
    }
    free(out);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORTAL_BASE_URL CLOSED_BASE_URL\n", argv[0]);
        return 2;
    }
    const char *base = argv[1], *closed = argv[2];
    char url[512], in[4096];
    char *out = malloc(OUT_SIZE);
    if (out == NULL)
        return 2;

    printf("onetrans %s\n", OneTransVersion());

    /* 1. Success, as in the vendor document. */
    snprintf(url, sizeof url, "%s/api/amp/hos/pushMsg", base);
    push_msg_input(in, sizeof in, url, "ZL050509083457355366");
    const char *code = MobileTrans(in, out);
    check(strcmp(code, "000000") == 0 && strstr(out, "\"code\":0") && strstr(out, "\"response\":\"SUCCESS\""),
          "pushMsg succeeds", code, out);

    /* 2. A business failure: the portal answers, code -2 names the missing field. */
    snprintf(in, sizeof in,
             "{\"data\":{\"serverAddr\":\"%s\",\"appId\":\"" APP_ID "\",\"appKey\":\"" APP_KEY "\",\"orgCode\":\"H1\"}}",
             url);
    code = MobileTrans(in, out);
    check(strcmp(code, "000000") == 0 && strstr(out, "\"code\":-2") && strstr(out, "medOrgOrd"),
          "business failure is code -2 with the field named", code, out);

    /* 3. Bad input: not JSON. Nothing is sent. */
    code = MobileTrans("{not json", out);
    check(strcmp(code, "000105") == 0 && strstr(out, "\"respCode\":\"000105\""), "bad input gives 000105", code, out);

    /* 4. NULL pointers. */
    code = MobileTrans(NULL, out);
    check(strcmp(code, "000105") == 0 && strstr(out, "pInData"), "NULL pInData gives 000105", code, out);
    code = MobileTrans(in, NULL);
    check(strcmp(code, "000105") == 0, "NULL pOutData gives 000105", code, NULL);

    /* 5. A buffer that is too small: never written past its capacity; the size needed is
     *    reported, and the full output can be fetched without calling the portal again. */
    push_msg_input(in, sizeof in, url, "SMALL-BUFFER-1");
    char small[40];
    memset(small, 'Z', sizeof small);
    uint32_t needed = 0;
    code = MobileTransEx(in, small, 16, &needed);
    int untouched = 1;
    for (size_t i = 16; i < sizeof small; i++)
        untouched &= small[i] == 'Z';
    check(strcmp(code, "000106") == 0 && needed > 16 && untouched && small[0] == '\0',
          "MobileTransEx never writes past outCap and reports the size", code, small);
    uint32_t got = 0;
    code = OneTransLastOutput(out, OUT_SIZE, &got);
    check(strcmp(code, "000000") == 0 && got == needed && strlen(out) + 1 == needed && strstr(out, "SUCCESS"),
          "OneTransLastOutput returns the full output", code, out);
    /* A failure that does not fit keeps its own code (000106 is only for a verified answer), and
     * OneTransLastOutput returns the stored call's own code. */
    char one[1] = {'Z'};
    code = MobileTransEx("{}", one, 1, &needed);
    check(strcmp(code, "000105") == 0 && one[0] == '\0', "a 1-byte buffer gets an empty string, the failure its code",
          code, NULL);
    code = OneTransLastOutput(out, OUT_SIZE, &got);
    check(strcmp(code, "000105") == 0 && got == needed && strstr(out, "\"respCode\":\"000105\""),
          "OneTransLastOutput returns the stored call's own code", code, out);

    /* 6. The portal is not there: not delivered, safe to retry. */
    snprintf(url, sizeof url, "%s/api/amp/hos/pushMsg", closed);
    push_msg_input(in, sizeof in, url, "UNREACHABLE-1");
    code = MobileTrans(in, out);
    check(strcmp(code, "000100") == 0 && strstr(out, "\"respCode\":\"000100\""), "closed port gives 000100", code, out);

    /* 7. Threads at once, each getting its own answer (the portal echoes the request data). */
    snprintf(url, sizeof url, "%s/_fault/echo/api/amp/hos/pushMsg", base);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){.url = url, .index = i, .ok = 0};
        pthread_create(&threads[i], NULL, worker_main, &workers[i]);
    }
    int all_ok = 1;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        all_ok &= workers[i].ok;
    }
    check(all_ok, "8 threads x 5 calls, each answer its own", "000000", NULL);

    free(out);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
