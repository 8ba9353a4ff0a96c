/* The smallest program linbench's vfork_exec starts: no C library, one
 * page of code, exits with status 0 at once. Built with
 *   gcc -static -nostdlib -O2 -fno-pie -no-pie -Wl,--build-id=none */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  mov $60, %eax\n" /* SYS_exit */
        "  xor %edi, %edi\n"
        "  syscall\n"
        "  hlt\n");
