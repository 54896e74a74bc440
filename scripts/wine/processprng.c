/*
 * Test-only stand-in for Windows' bcryptprimitives.dll under Wine 8, which
 * lacks ProcessPrng. Rust's std (1.78+) imports ProcessPrng for its random
 * numbers (HashMap seeds), so without it no Rust program starts under
 * Wine 8. This DLL exports just that function, filled from the system RNG
 * through BCryptGenRandom, which Wine has. scripts/windows.sh builds it
 * with the mingw compiler and puts it beside each .exe it runs; it is never
 * shipped, and a real Windows has the real DLL.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk,
                                            BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
