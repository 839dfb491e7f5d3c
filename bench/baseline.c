/*
 * The FastCGI baseline for scripts/bench: the least a libfcgi responder can do. N threads
 * (libfcgi's threaded.c pattern: a mutex around FCGX_Accept_r), each answering every request
 * with a fixed small JSON body like /api/status. Vestibule's own routes are measured against it.
 *
 *   gcc -O2 -o baseline bench/baseline.c -lfcgi -lpthread
 *   ./baseline /path/to/socket 16
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int listen_socket;
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
static const char answer[] =
    "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
    "{\"database\":\"ok\",\"status\":\"ok\",\"version\":\"0.0.0\"}";

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_socket, 0);
    for (;;) {
        pthread_mutex_lock(&accept_lock);
        int accepted = FCGX_Accept_r(&request);
        pthread_mutex_unlock(&accept_lock);
        if (accepted < 0) break;
        FCGX_PutStr(answer, sizeof answer - 1, request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SOCKET THREADS\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[2]);
    FCGX_Init();
    listen_socket = FCGX_OpenSocket(argv[1], 1024);
    if (listen_socket < 0) {
        perror("FCGX_OpenSocket");
        return 1;
    }
    chmod(argv[1], 0660);
    pthread_t *workers = calloc((size_t)threads, sizeof *workers);
    for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, serve, NULL);
    for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
    return 0;
}
