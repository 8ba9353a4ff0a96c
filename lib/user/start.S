/* The first instruction of every user domain. The CPU driver enters here with
 * the stack set up, RDI = this core's number and RSI = the number of cores.
 * Runs the global constructors, calls domain_main(core, cores) and exits with
 * its return value. */
    .text
    .global _start
_start:
    xor %ebp, %ebp                  /* the end of every backtrace */
    and $-16, %rsp                  /* the ABI's alignment at a call */
    push %rdi                       /* keep the arguments across the constructors */
    push %rsi
    call run_constructors
    pop %rsi
    pop %rdi
    call domain_main
    mov %eax, %edi
    mov $2, %eax                    /* kSysExit */
    syscall
1:  ud2                             /* exit does not return */
    jmp 1b
    .section .note.GNU-stack, "", @progbits
