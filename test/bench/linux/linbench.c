/* linbench: the Linux side of the project's benchmarks.
 *
 * Runs as /init in an initramfs under QEMU (run_linux.py builds and boots
 * it), or as an ordinary program on a Linux host. Each measurement prints
 * one or more rows on stdout, in the CSV format of the project's benchmarks
 * behind the marker "CSV ":
 *
 *   CSV suite,metric,mode,cores,src,dst,unit,median,p99,samples
 *
 * Parameters, as key=value words: on the kernel command line with a
 * "linbench." prefix (read from /proc/cmdline when running as PID 1), or
 * as arguments otherwise:
 *   tests=a,b,...   which measurements (default: all; see TESTS below)
 *   samples=N       samples per measurement (default: per test)
 *   quick=1         small sample counts (a smoke test)
 *   mode=M          the mode column: icount, mttcg, kvm, host (default host)
 *   watchdog=S      seconds one measurement may take (default 900)
 *
 * Timing: the TSC, read with lfence around rdtsc, converted to nanoseconds
 * with a rate measured against CLOCK_MONOTONIC at start. The kernel's
 * clocksource under QEMU TCG is usually the HPET, which makes
 * clock_gettime a system call plus an emulated device read: far too
 * coarse for one system call. Under TCG the guest TSC is the host's TSC
 * (MTTCG) or the virtual clock (-icount shift=0: one tick per guest
 * instruction, so there the nanoseconds are instruction counts).
 *
 * As PID 1 it ends by writing to QEMU's isa-debug-exit port 0xf4: 0x10 on
 * success (QEMU exits 33), 0x11 on any failure (QEMU exits 35); if the
 * port is unavailable, reboot(2) is the fallback. Every wait is bounded:
 * a per-measurement alarm, timeouts on futex waits and deadlines on spins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define SUITE "linux"
#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_SUCCESS 0x10
#define DEBUG_EXIT_FAILURE 0x11
#define PAGE 4096
#define NO_CORE (-1)

/* ------------------------------------------------------------ state */

static int in_guest;           /* started as PID 1, inside the guest */
static int is_supervisor;      /* this process is PID 1: it ends the guest */
static int io_ok;              /* ioperm(0xf4) succeeded */
static const char *mode = "host";
static int ncpu = 1;
static int quick;
static long samples_override;  /* 0: per-test default */
static unsigned watchdog_s = 900;
static const char *tests_param;
static double ns_per_tick = 1.0;
static uint64_t ticks_per_sec = 1000000000ull;
static uint64_t start_tsc;     /* TSC at the first instruction of main */
static struct timespec start_boottime;
static int rows_printed;
static const char *current = "startup";
static char self_path[PATH_MAX];
static char exit0_path[PATH_MAX + 8];

/* ------------------------------------------------------------ output and exit */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("linbench: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(ap);
}

/* Leave the guest. Async-signal-safe (the watchdog calls it). */
static void leave(int ok)
{
    if (!is_supervisor)
        _exit(ok ? 0 : 1);
    tcdrain(STDOUT_FILENO); /* the UART may still hold the last lines */
    if (io_ok)
        outb(ok ? DEBUG_EXIT_SUCCESS : DEBUG_EXIT_FAILURE, DEBUG_EXIT_PORT);
    /* No debug-exit device: power off on success; on failure reboot,
     * which QEMU's -no-reboot turns into an exit without the success code. */
    reboot(ok ? RB_POWER_OFF : RB_AUTOBOOT);
    for (;;)
        pause();
}

static void finish(int ok)
{
    fflush(stdout);
    leave(ok);
}

static void vfail(int err, const char *fmt, va_list ap) __attribute__((noreturn));
static void vfail(int err, const char *fmt, va_list ap)
{
    printf("linbench: FAIL %s: ", current);
    vprintf(fmt, ap);
    if (err)
        printf(" (%s)", strerror(err));
    putchar('\n');
    finish(0);
    __builtin_unreachable();
}

/* A failed check. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(0, fmt, ap);
}

/* A failed system call: adds errno's text. */
static void fail_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_sys(const char *fmt, ...)
{
    int err = errno;
    va_list ap;
    va_start(ap, fmt);
    vfail(err, fmt, ap);
}

/* Write a fixed message and leave with the failure code: for signal handlers. */
static void fail_async(const char *msg)
{
    ssize_t r = write(STDOUT_FILENO, msg, strlen(msg));
    (void)r;
    leave(0);
}

/* ------------------------------------------------------------ watchdog */

static char watchdog_msg[200];

static void on_alarm(int sig)
{
    (void)sig;
    fail_async(watchdog_msg);
}

static void arm_watchdog(const char *test)
{
    snprintf(watchdog_msg, sizeof watchdog_msg,
             "\nlinbench: FAIL %s: did not finish within %u s (watchdog)\n", test, watchdog_s);
    alarm(watchdog_s);
}

/* Threads must not take the watchdog's SIGALRM: block it around creation so
 * they inherit a mask with it blocked, and the main thread handles it. */
static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int e = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e) {
        errno = e;
        fail_sys("pthread_create");
    }
}

/* ------------------------------------------------------------ time */

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* TSC ticks per nanosecond against CLOCK_MONOTONIC over ~100 ms. */
static void calibrate(void)
{
    uint64_t t0 = mono_ns(), c0 = tsc(), t1, c1;
    do {
        t1 = mono_ns();
        c1 = tsc();
    } while (t1 - t0 < 100000000ull);
    if (c1 <= c0)
        fail("the TSC does not advance");
    ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
    say("tsc: %.3f ticks per us (measured against CLOCK_MONOTONIC over %.1f ms)",
        1000.0 / ns_per_tick, (t1 - t0) / 1e6);
    if (!strcmp(mode, "icount")) {
        /* -icount shift=0: the guest TSC is QEMU's virtual clock, exactly one
         * tick per nanosecond and per instruction. The kernel's clock may be
         * calibrated a hair off that; the TSC itself is exact. */
        ns_per_tick = 1.0;
        say("tsc: icount mode, using exactly 1 tick per ns (= 1 instruction)");
    }
    ticks_per_sec = (uint64_t)(1e9 / ns_per_tick);
}

/* A deadline `seconds` from now, for spin loops. */
static uint64_t deadline_in(double seconds) { return tsc() + (uint64_t)(seconds * ticks_per_sec); }

/* ------------------------------------------------------------ CPUs */

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set))
        fail_sys("cannot pin to CPU %d", cpu);
}

/* ------------------------------------------------------------ statistics */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void core_field(char *buf, size_t n, int core)
{
    if (core == NO_CORE)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%d", core);
}

static void print_row(const char *metric, int src, int dst, const char *unit, double median,
                      double p99, long samples)
{
    char s[16], d[16];
    core_field(s, sizeof s, src);
    core_field(d, sizeof d, dst);
    printf("CSV %s,%s,%s,%d,%s,%s,%s,%.*f,%.*f,%ld\n", SUITE, metric, mode, ncpu, s, d, unit,
           median < 10 ? 3 : 1, median, p99 < 10 ? 3 : 1, p99, samples);
    fflush(stdout);
    rows_printed++;
}

/* Sorts the samples (TSC ticks, each covering `per` operations) and prints
 * the median and 99th percentile of one operation in nanoseconds. */
static void report(const char *metric, int src, int dst, uint64_t *s, long n, double per)
{
    if (n <= 0)
        fail("no samples for %s", metric);
    qsort(s, (size_t)n, sizeof *s, cmp_u64);
    double med = n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2.0;
    long i99 = (long)ceil(0.99 * (double)n) - 1;
    if (i99 < 0)
        i99 = 0;
    double scale = ns_per_tick / per;
    double m = med * scale, p = (double)s[i99] * scale;
    if (m <= 0 || p <= 0)
        fail("%s: a sample of zero ticks", metric);
    print_row(metric, src, dst, "ns", m, p, n);
}

static uint64_t *samples_buf(long n)
{
    uint64_t *s = calloc((size_t)n, sizeof *s);
    if (!s)
        fail("out of memory for %ld samples", n);
    return s;
}

static long warmup_of(long n) { return n / 10 > 10 ? n / 10 : 10; }

/* ------------------------------------------------------------ timer overhead */

static void t_timer(long n)
{
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    for (long i = -w; i < n; i++) {
        uint64_t a = tsc(), b = tsc();
        if (i >= 0)
            s[i] = b - a;
    }
    report("timer_overhead", 0, NO_CORE, s, n, 1);
    free(s);
}

/* ------------------------------------------------------------ null system call */

static inline long raw_getppid(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
    return r;
}

static void t_null_syscall(long n)
{
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    for (long i = -w; i < n; i++) {
        uint64_t a = tsc();
        long r = raw_getppid();
        uint64_t b = tsc();
        if (r < 0)
            fail("getppid returned %ld", r);
        if (i >= 0)
            s[i] = b - a;
    }
    report("null_syscall", 0, NO_CORE, s, n, 1);
    free(s);
}

/* ------------------------------------------------------------ faults */

static char *fault_page;      /* the page that faults */
static char *spare_page;      /* readable page fault_signal redirects to */
static volatile int fault_kind; /* 1: handler mprotects; 2: handler redirects %rax */
static volatile long fault_count;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    char *addr = si->si_addr;
    if (!fault_page || addr < fault_page || addr >= fault_page + PAGE || !fault_kind)
        fail_async("\nlinbench: FAIL: unexpected SIGSEGV outside the test page\n");
    fault_count++;
    if (fault_kind == 1) {
        if (mprotect(fault_page, PAGE, PROT_READ | PROT_WRITE))
            fail_async("\nlinbench: FAIL: mprotect in the SIGSEGV handler failed\n");
    } else {
        ucontext_t *uc = ctx;
        uc->uc_mcontext.gregs[REG_RAX] = (greg_t)(spare_page + (addr - fault_page));
    }
}

static void fault_setup(void)
{
    if (fault_page)
        return;
    fault_page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fault_page == MAP_FAILED)
        fail_sys("mmap");
    spare_page = fault_page + PAGE;
    memset(fault_page, 1, 2 * PAGE); /* both pages present before any sample */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL))
        fail_sys("sigaction");
}

/* Write to a PROT_NONE page; the handler makes it read/write and returns;
 * the write is restarted and completes. Timed: the faulting write to its
 * completion (trap, signal delivery, handler with its mprotect, sigreturn,
 * the restarted write). The mprotect(PROT_NONE) between samples is not. */
static void t_fault_upcall(long n)
{
    fault_setup();
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    fault_kind = 1;
    for (long i = -w; i < n; i++) {
        if (mprotect(fault_page, PAGE, PROT_NONE))
            fail_sys("mprotect(PROT_NONE)");
        long before = fault_count;
        uint64_t a = tsc();
        *(volatile char *)fault_page = (char)i;
        uint64_t b = tsc();
        if (fault_count != before + 1)
            fail("expected one fault, got %ld", fault_count - before);
        if (i >= 0)
            s[i] = b - a;
    }
    fault_kind = 0;
    report("fault_upcall", 0, NO_CORE, s, n, 1);
    free(s);
}

/* The same trap and signal round trip without the mprotect: the page stays
 * PROT_NONE and the handler points the faulting load's base register at a
 * readable page. Fault dispatch to a user handler and back, alone. */
static void t_fault_signal(long n)
{
    fault_setup();
    if (mprotect(fault_page, PAGE, PROT_NONE))
        fail_sys("mprotect(PROT_NONE)");
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    fault_kind = 2;
    for (long i = -w; i < n; i++) {
        long before = fault_count;
        char *p = fault_page;
        unsigned v;
        uint64_t a = tsc();
        __asm__ volatile("movzbl (%1), %0" : "=r"(v), "+a"(p)::"memory");
        uint64_t b = tsc();
        if (fault_count != before + 1 || p != spare_page || v != 1)
            fail("the redirected load did not complete as expected");
        if (i >= 0)
            s[i] = b - a;
    }
    fault_kind = 0;
    if (mprotect(fault_page, PAGE, PROT_READ | PROT_WRITE))
        fail_sys("mprotect(PROT_READ|PROT_WRITE)");
    report("fault_signal", 0, NO_CORE, s, n, 1);
    free(s);
}

/* ------------------------------------------------------------ pipe ping-pong */

static void wait_child(pid_t pid, const char *what)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r != pid)
        fail_sys("waitpid for the %s", what);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("the %s ended with status 0x%x", what, st);
}

/* One byte from CPU a to CPU b over one pipe and back over another, the two
 * ends in two processes. A sample is one round trip, timed on CPU a. */
static void pipe_pingpong(int a, int b, long n, const char *metric)
{
    int p1[2], p2[2];
    if (pipe(p1) || pipe(p2))
        fail_sys("pipe");
    pid_t pid = fork();
    if (pid < 0)
        fail_sys("fork");
    if (pid == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(b, &set);
        if (sched_setaffinity(0, sizeof set, &set))
            _exit(2);
        close(p1[1]);
        close(p2[0]);
        for (;;) {
            char c;
            ssize_t r = read(p1[0], &c, 1);
            if (r != 1)
                _exit(3);
            if (c == 'q')
                _exit(0);
            if (write(p2[1], &c, 1) != 1)
                _exit(4);
        }
    }
    close(p1[0]);
    close(p2[1]);
    pin(a);
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    for (long i = -w; i < n; i++) {
        char c = 'x';
        uint64_t t0 = tsc();
        if (write(p1[1], &c, 1) != 1)
            fail_sys("pipe write");
        if (read(p2[0], &c, 1) != 1)
            fail("pipe read: the other process is gone");
        uint64_t t1 = tsc();
        if (i >= 0)
            s[i] = t1 - t0;
    }
    char q = 'q';
    if (write(p1[1], &q, 1) != 1)
        fail_sys("pipe write");
    close(p1[1]);
    close(p2[0]);
    wait_child(pid, "pipe partner");
    pin(0);
    char name[96];
    snprintf(name, sizeof name, "%s_oneway", metric);
    report(name, a, b, s, n, 2);
    snprintf(name, sizeof name, "%s_roundtrip", metric);
    report(name, a, b, s, n, 1); /* report() sorted s; the percentiles are the same */
    free(s);
}

static void t_pipe_same_core(long n) { pipe_pingpong(0, 0, n, "pipe_pingpong_same_core"); }

static void t_pipe_cross(long n)
{
    for (int k = 1; k < ncpu; k++)
        pipe_pingpong(0, k, n, "pipe_pingpong");
}

/* ------------------------------------------------------------ futex ping-pong */

static long futex(_Atomic int *addr, int op, int val, const struct timespec *ts)
{
    return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static struct {
    _Alignas(64) _Atomic int word; /* 0: partner's turn to wait; 1: ping; 2: stop */
    _Alignas(64) int cpu;
    _Atomic int failed;
} fx;

static const struct timespec one_second = {1, 0};

static void *futex_partner(void *arg)
{
    (void)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(fx.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) {
        atomic_store(&fx.failed, 1);
        return NULL;
    }
    int idle = 0;
    for (;;) {
        int v = atomic_load(&fx.word);
        if (v == 2)
            return NULL;
        if (v == 0) {
            if (futex(&fx.word, FUTEX_WAIT_PRIVATE, 0, &one_second) && errno == ETIMEDOUT &&
                ++idle > (int)watchdog_s)
                return NULL;
            continue;
        }
        idle = 0;
        atomic_store(&fx.word, 0);
        futex(&fx.word, FUTEX_WAKE_PRIVATE, 1, NULL);
    }
}

/* Two threads of one process, on CPUs a and b, hand a turn back and forth
 * through one futex word: set, wake, sleep until it is handed back. A sample
 * is one round trip, timed on CPU a. */
static void futex_pingpong(int a, int b, long n, const char *metric)
{
    atomic_store(&fx.word, 0);
    atomic_store(&fx.failed, 0);
    fx.cpu = b;
    pin(a);
    pthread_t t;
    start_thread(&t, futex_partner, NULL);
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    for (long i = -w; i < n; i++) {
        int timeouts = 0;
        uint64_t t0 = tsc();
        atomic_store(&fx.word, 1);
        futex(&fx.word, FUTEX_WAKE_PRIVATE, 1, NULL);
        while (atomic_load(&fx.word) == 1) {
            if (futex(&fx.word, FUTEX_WAIT_PRIVATE, 1, &one_second) && errno == ETIMEDOUT) {
                if (atomic_load(&fx.failed))
                    fail("the futex partner could not pin itself to CPU %d", b);
                if (++timeouts > 30)
                    fail("no answer from the futex partner on CPU %d for 30 s", b);
            }
        }
        uint64_t t1 = tsc();
        if (i >= 0)
            s[i] = t1 - t0;
    }
    atomic_store(&fx.word, 2);
    futex(&fx.word, FUTEX_WAKE_PRIVATE, 1, NULL);
    pthread_join(t, NULL);
    pin(0);
    char name[96];
    snprintf(name, sizeof name, "%s_oneway", metric);
    report(name, a, b, s, n, 2);
    snprintf(name, sizeof name, "%s_roundtrip", metric);
    report(name, a, b, s, n, 1);
    free(s);
}

static void t_futex_same_core(long n) { futex_pingpong(0, 0, n, "futex_pingpong_same_core"); }

static void t_futex_cross(long n)
{
    for (int k = 1; k < ncpu; k++)
        futex_pingpong(0, k, n, "futex_pingpong");
}

/* ------------------------------------------------------------ spin ping-pong */

static struct {
    _Alignas(64) _Atomic uint64_t ping;
    _Alignas(64) _Atomic uint64_t pong;
    _Alignas(64) _Atomic int stop;
    _Atomic int failed;
    int cpu;
} sp;

static void *spin_partner(void *arg)
{
    (void)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(sp.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) {
        atomic_store(&sp.failed, 1);
        return NULL;
    }
    uint64_t expect = 1;
    for (;;) {
        uint64_t v, until = deadline_in(60);
        unsigned spins = 0;
        while ((v = atomic_load_explicit(&sp.ping, memory_order_acquire)) < expect) {
            if (atomic_load_explicit(&sp.stop, memory_order_relaxed))
                return NULL;
            cpu_relax();
            if (++spins % 4096 == 0 && tsc() > until) {
                atomic_store(&sp.failed, 2);
                return NULL;
            }
        }
        atomic_store_explicit(&sp.pong, v, memory_order_release);
        expect = v + 1;
    }
}

/* Two threads on CPUs 0 and b poll one cache line each: the shared-memory
 * message that user-level RPC is built on, with no kernel involved. */
static void t_spin_cross(long n)
{
    for (int k = 1; k < ncpu; k++) {
        atomic_store(&sp.ping, 0);
        atomic_store(&sp.pong, 0);
        atomic_store(&sp.stop, 0);
        atomic_store(&sp.failed, 0);
        sp.cpu = k;
        pthread_t t;
        start_thread(&t, spin_partner, NULL);
        uint64_t *s = samples_buf(n);
        long w = warmup_of(n);
        uint64_t seq = 0;
        for (long i = -w; i < n; i++) {
            seq++;
            uint64_t until = deadline_in(30);
            unsigned spins = 0;
            uint64_t t0 = tsc();
            atomic_store_explicit(&sp.ping, seq, memory_order_release);
            while (atomic_load_explicit(&sp.pong, memory_order_acquire) != seq) {
                cpu_relax();
                if (++spins % 4096 == 0 && tsc() > until) {
                    atomic_store(&sp.stop, 1);
                    fail("no answer from the spinning partner on CPU %d (state %d)", k,
                         atomic_load(&sp.failed));
                }
            }
            uint64_t t1 = tsc();
            if (i >= 0)
                s[i] = t1 - t0;
        }
        atomic_store(&sp.stop, 1);
        pthread_join(t, NULL);
        report("spin_pingpong_oneway", 0, k, s, n, 2);
        report("spin_pingpong_roundtrip", 0, k, s, n, 1);
        free(s);
    }
}

/* ------------------------------------------------------------ vfork + exec */

/* vfork, execve of `path`, the child's exit, waitpid: one sample. */
static void vfork_exec(const char *path, char *const argv[], long n, const char *metric)
{
    char *const envp[] = {NULL};
    if (access(path, X_OK))
        fail_sys("%s is not executable", path);
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    for (long i = -w; i < n; i++) {
        int st;
        uint64_t t0 = tsc();
        pid_t pid = vfork();
        if (pid == 0) {
            execve(path, argv, envp);
            _exit(127);
        }
        if (pid < 0)
            fail_sys("vfork");
        pid_t r;
        while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
            ;
        uint64_t t1 = tsc();
        if (r != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail("%s: child ended with status 0x%x", path, st);
        if (i >= 0)
            s[i] = t1 - t0;
    }
    report(metric, 0, NO_CORE, s, n, 1);
    free(s);
}

static void t_vfork_exec(long n)
{
    char *const argv[] = {exit0_path, NULL};
    vfork_exec(exit0_path, argv, n, "vfork_exec");
}

static void t_vfork_exec_libc(long n)
{
    char *const argv[] = {self_path, "--exit", NULL};
    vfork_exec(self_path, argv, n, "vfork_exec_libc");
}

/* ------------------------------------------------------------ munmap shootdown */

static struct {
    _Alignas(64) _Atomic(char *) page;
    _Atomic unsigned gen;
    _Alignas(64) _Atomic unsigned acks;
    _Alignas(64) _Atomic int stop;
    _Atomic int failed;
} sd;

static void *shootdown_worker(void *arg)
{
    int cpu = (int)(intptr_t)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) {
        atomic_store(&sd.failed, 1);
        return NULL;
    }
    /* The measurement means "a TLB entry on every CPU": a worker that is not
     * on its own CPU would leave one CPU without one. */
    if (sched_getcpu() != cpu) {
        atomic_store(&sd.failed, 3);
        return NULL;
    }
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        uint64_t until = deadline_in(60);
        unsigned spins = 0;
        /* Spin in user mode, the address space live on this CPU, so the
         * unmap must reach this CPU's TLB. */
        while ((g = atomic_load_explicit(&sd.gen, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&sd.stop, memory_order_relaxed))
                return NULL;
            cpu_relax();
            if (++spins % 4096 == 0 && tsc() > until) {
                atomic_store(&sd.failed, 2);
                return NULL;
            }
        }
        seen = g;
        char *p = atomic_load_explicit(&sd.page, memory_order_acquire);
        ((volatile char *)p)[(cpu * 64) % PAGE] = (char)g;
        atomic_fetch_add_explicit(&sd.acks, 1, memory_order_acq_rel);
    }
}

/* Every CPU runs a thread of one process; each writes to a fresh page, then
 * CPU 0 unmaps it. A sample is the munmap call: unmap, free, and the TLB
 * shootdown of every other CPU. With one CPU there is no shootdown. */
static void t_munmap_shootdown(long n)
{
    int workers = ncpu - 1;
    pthread_t *t = calloc((size_t)(workers > 0 ? workers : 1), sizeof *t);
    if (!t)
        fail("out of memory");
    atomic_store(&sd.gen, 0);
    atomic_store(&sd.acks, 0);
    atomic_store(&sd.stop, 0);
    atomic_store(&sd.failed, 0);
    pin(0);
    for (int k = 0; k < workers; k++)
        start_thread(&t[k], shootdown_worker, (void *)(intptr_t)(k + 1));
    uint64_t *s = samples_buf(n);
    long w = warmup_of(n);
    for (long i = -w; i < n; i++) {
        char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            fail_sys("mmap");
        ((volatile char *)p)[0] = 1;
        atomic_store_explicit(&sd.page, p, memory_order_release);
        atomic_store_explicit(&sd.acks, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&sd.gen, 1, memory_order_acq_rel);
        uint64_t until = deadline_in(60);
        unsigned spins = 0;
        while (atomic_load_explicit(&sd.acks, memory_order_acquire) != (unsigned)workers) {
            cpu_relax();
            if (++spins % 4096 == 0) {
                if (atomic_load(&sd.failed))
                    fail("a worker thread failed (state %d)", atomic_load(&sd.failed));
                if (tsc() > until)
                    fail("workers did not touch the page within 60 s");
            }
        }
        uint64_t t0 = tsc();
        if (munmap(p, PAGE))
            fail_sys("munmap");
        uint64_t t1 = tsc();
        if (i >= 0)
            s[i] = t1 - t0;
    }
    atomic_store(&sd.stop, 1);
    for (int k = 0; k < workers; k++)
        pthread_join(t[k], NULL);
    free(t);
    report("munmap_shootdown", 0, NO_CORE, s, n, 1);
    free(s);
}

/* ------------------------------------------------------------ boot */

/* Guest-side boot figures, taken at main's first instruction. The host
 * side (run_linux.py) adds boot_to_init: QEMU start to this program's first
 * line. */
static void t_boot(long n)
{
    (void)n;
    double boottime_ms = start_boottime.tv_sec * 1e3 + start_boottime.tv_nsec / 1e6;
    print_row("boot_to_init_boottime", NO_CORE, NO_CORE, "ms", boottime_ms, boottime_ms, 1);
    if (in_guest) {
        /* QEMU's TCG TSC counts from the machine's start. */
        double ms = (double)start_tsc * ns_per_tick / 1e6;
        print_row("boot_to_init_tsc", NO_CORE, NO_CORE, "ms", ms, ms, 1);
    }
}

/* ------------------------------------------------------------ the test table */

struct test {
    const char *name;
    void (*run)(long n);
    long samples, quick_samples;
    int min_cpus;
};

static const struct test TESTS[] = {
    {"boot_to_init", t_boot, 1, 1, 1},
    {"timer_overhead", t_timer, 20000, 1000, 1},
    {"null_syscall", t_null_syscall, 20000, 1000, 1},
    {"fault_upcall", t_fault_upcall, 10000, 500, 1},
    {"fault_signal", t_fault_signal, 10000, 500, 1},
    {"pipe_pingpong_same_core", t_pipe_same_core, 5000, 300, 1},
    {"futex_pingpong_same_core", t_futex_same_core, 5000, 300, 1},
    {"vfork_exec", t_vfork_exec, 1000, 50, 1},
    {"vfork_exec_libc", t_vfork_exec_libc, 1000, 50, 1},
    {"munmap_shootdown", t_munmap_shootdown, 2000, 100, 1},
    {"pipe_pingpong", t_pipe_cross, 2000, 200, 2},
    {"futex_pingpong", t_futex_cross, 2000, 200, 2},
    {"spin_pingpong", t_spin_cross, 5000, 300, 2},
};
#define NTESTS (sizeof TESTS / sizeof TESTS[0])

static const struct test *find_test(const char *name, size_t len)
{
    for (size_t i = 0; i < NTESTS; i++)
        if (strlen(TESTS[i].name) == len && !strncmp(TESTS[i].name, name, len))
            return &TESTS[i];
    return NULL;
}

/* ------------------------------------------------------------ parameters */

static void set_param(const char *key, const char *val)
{
    char *end;
    if (!strcmp(key, "tests")) {
        tests_param = strdup(val);
    } else if (!strcmp(key, "samples")) {
        samples_override = strtol(val, &end, 10);
        if (*end || samples_override <= 0 || samples_override > 100000000)
            fail("samples=%s: expected a positive number", val);
    } else if (!strcmp(key, "quick")) {
        quick = strcmp(val, "0") != 0;
    } else if (!strcmp(key, "mode")) {
        if (strcmp(val, "icount") && strcmp(val, "mttcg") && strcmp(val, "kvm") && strcmp(val, "host"))
            fail("mode=%s: expected icount, mttcg, kvm or host", val);
        mode = strdup(val);
    } else if (!strcmp(key, "watchdog")) {
        long v = strtol(val, &end, 10);
        if (*end || v <= 0 || v > 86400)
            fail("watchdog=%s: expected seconds", val);
        watchdog_s = (unsigned)v;
    } else {
        fail("unknown parameter '%s'", key);
    }
}

/* "key=value", with `prefix` stripped; words without the prefix are ignored
 * when a prefix is given (the rest of the kernel command line). */
static void parse_word(char *word, const char *prefix)
{
    if (prefix) {
        size_t pl = strlen(prefix);
        if (strncmp(word, prefix, pl))
            return;
        word += pl;
    }
    char *eq = strchr(word, '=');
    if (!eq)
        fail("parameter '%s' has no '='", word);
    *eq = 0;
    set_param(word, eq + 1);
}

static void read_cmdline(void)
{
    static char buf[4096];
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd < 0)
        fail_sys("cannot open /proc/cmdline");
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r < 0)
        fail_sys("cannot read /proc/cmdline");
    buf[r] = 0;
    say("cmdline: %s", strtok(strdup(buf), "\n"));
    for (char *save, *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
        parse_word(w, "linbench.");
}

/* ------------------------------------------------------------ setup */

static void read_line(const char *path, char *out, size_t n)
{
    out[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(out, n, "?");
        return;
    }
    ssize_t r = read(fd, out, n - 1);
    close(fd);
    out[r > 0 ? r : 0] = 0;
    out[strcspn(out, "\n")] = 0;
}

static void mount_pseudo(const char *dir, const char *type)
{
    mkdir(dir, 0555);
    if (mount(type, dir, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) && errno != EBUSY)
        fail_sys("cannot mount %s on %s", type, dir);
}

static void describe_system(void)
{
    struct utsname u;
    char cs[64], melt[128], sp2[256];
    uname(&u);
    read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", cs, sizeof cs);
    read_line("/sys/devices/system/cpu/vulnerabilities/meltdown", melt, sizeof melt);
    read_line("/sys/devices/system/cpu/vulnerabilities/spectre_v2", sp2, sizeof sp2);
    say("kernel %s %s, %d CPUs online, clocksource %s", u.release, u.version, ncpu, cs);
    say("meltdown: %s; spectre_v2: %s", melt, sp2);
    char idle[64], gov[64];
    read_line("/sys/devices/system/cpu/cpuidle/current_driver", idle, sizeof idle);
    read_line("/sys/devices/system/cpu/cpuidle/current_governor_ro", gov, sizeof gov);
    say("cpuidle driver %s, governor %s", idle, gov);
}

static void find_paths(void)
{
    ssize_t r = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (r <= 0)
        fail_sys("readlink /proc/self/exe");
    self_path[r] = 0;
    char dir[PATH_MAX];
    memcpy(dir, self_path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = 0;
    snprintf(exit0_path, sizeof exit0_path, "%s%sexit0", dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
}

/* PID 1 waits for the benchmark process and ends the guest with its verdict.
 * The measurements do not run in PID 1 itself: the kernel treats init's
 * signals specially (it logs every SIGSEGV init takes, handled or not). */
static void supervise(pid_t pid, int tests)
{
    unsigned long limit = (unsigned long)watchdog_s * (unsigned long)(tests + 1);
    current = "supervisor";
    snprintf(watchdog_msg, sizeof watchdog_msg,
             "\nlinbench: FAIL supervisor: the benchmarks did not end within %lu s (watchdog)\n", limit);
    alarm(limit > 86400 * 7 ? 86400 * 7 : (unsigned)limit);
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    alarm(0);
    if (r != pid)
        fail_sys("waitpid for the benchmark process");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        finish(1);
    if (WIFSIGNALED(st))
        fail("the benchmark process was killed by signal %d", WTERMSIG(st));
    fail("the benchmark process exited with status %d", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    start_tsc = tsc();
    clock_gettime(CLOCK_BOOTTIME, &start_boottime);
    if (argc > 1 && !strcmp(argv[1], "--exit"))
        _exit(0); /* vfork_exec_libc's child */

    in_guest = is_supervisor = getpid() == 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (in_guest) {
        mount_pseudo("/proc", "proc");
        mount_pseudo("/sys", "sysfs");
        io_ok = ioperm(DEBUG_EXIT_PORT, 4, 1) == 0;
        mode = "mttcg";
    }
    say("start boottime_ns=%llu tsc=%llu pid=%d",
        (unsigned long long)start_boottime.tv_sec * 1000000000ull + (unsigned long long)start_boottime.tv_nsec,
        (unsigned long long)start_tsc, (int)getpid());

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    if (in_guest)
        read_cmdline();
    else
        for (int i = 1; i < argc; i++)
            parse_word(argv[i], NULL);

    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1)
        ncpu = 1;
    find_paths();
    describe_system();
    if (in_guest && !io_ok)
        say("warning: no access to port 0x%x; will use reboot() to stop", DEBUG_EXIT_PORT);

    /* Which tests, validated before anything runs. */
    int selected[NTESTS] = {0};
    if (!tests_param || !strcmp(tests_param, "all")) {
        for (size_t i = 0; i < NTESTS; i++)
            selected[i] = 1;
    } else {
        for (const char *p = tests_param; *p;) {
            size_t len = strcspn(p, ",");
            const struct test *t = find_test(p, len);
            if (!t)
                fail("unknown test '%.*s'", (int)len, p);
            selected[t - TESTS] = 1;
            p += len;
            if (*p == ',')
                p++;
        }
    }

    if (in_guest) {
        int count = 0;
        for (size_t i = 0; i < NTESTS; i++)
            count += selected[i];
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            fail_sys("fork");
        if (pid > 0)
            supervise(pid, count);
        is_supervisor = 0;
    }

    pin(0);
    calibrate();
    printf("CSV suite,metric,mode,cores,src,dst,unit,median,p99,samples\n");
    for (size_t i = 0; i < NTESTS; i++) {
        const struct test *t = &TESTS[i];
        if (!selected[i])
            continue;
        if (ncpu < t->min_cpus) {
            say("skip %s: needs %d CPUs, have %d", t->name, t->min_cpus, ncpu);
            continue;
        }
        long n = samples_override ? samples_override : quick ? t->quick_samples : t->samples;
        if (t->run == t_boot)
            n = 1;
        current = t->name;
        say("run %s: %ld samples", t->name, n);
        arm_watchdog(t->name);
        uint64_t t0 = mono_ns();
        t->run(n);
        alarm(0);
        say("ran %s in %.2f s", t->name, (mono_ns() - t0) / 1e9);
    }
    current = "end";
    say("done: %d rows", rows_printed);
    finish(1);
    return 0;
}
