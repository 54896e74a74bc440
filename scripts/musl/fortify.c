/*
 * Debian's LLVM libunwind (libunwind-14-dev), which the musl build links
 * statically, was compiled against glibc with _FORTIFY_SOURCE and calls
 * glibc's checked fprintf in its debug messages. musl has no such symbol;
 * this gives it one that prints the same way, unchecked.
 */
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *stream, int flag, const char *format, ...)
{
    va_list args;
    int written;
    (void)flag;
    va_start(args, format);
    written = vfprintf(stream, format, args);
    va_end(args);
    return written;
}
