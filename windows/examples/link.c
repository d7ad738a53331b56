/*
 * Calling OneTrans.dll through its header and import library (linked, not LoadLibrary).
 *
 * Build (mingw):  i686-w64-mingw32-gcc -Wall -O2 -I../include -o link.exe link.c -L../x86 -lOneTrans
 *                 (links ../x86/libOneTrans.dll.a; the x64 folder for 64-bit)
 *        (MSVC):  cl /W4 /I..\include link.c ..\x86\OneTrans.lib
 * Run:            link.exe http://127.0.0.1:PORT/api/amp/hos/pushMsg    (OneTrans.dll beside it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onetrans.h"

int main(int argc, char **argv)
{
    const char *server = argc > 1 ? argv[1] : "http://127.0.0.1:8080/api/amp/hos/pushMsg";
    static char in_data[8192], out_data[65536];
    uint32_t needed = 0;

    printf("OneTrans.dll %s\n", OneTransVersion());
    snprintf(in_data, sizeof in_data,
             "{\"data\":{\"serverAddr\":\"%s\","
             "\"appId\":\"zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN\",\"appKey\":\"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM\","
             "\"medOrgOrd\":\"LINKED-1\",\"orderStatus\":\"MERCHANT_WAIT_PAY\",\"orgCode\":\"H46040100001\","
             "\"patientName\":\"Zhou Dapeng\",\"idType\":\"02\",\"idNo\":\"460029196507081627\","
             "\"pushType\":\"HOSPITAL_PAYMENT\"},\"orgId\":\"H46010000000\"}",
             server);

    /* MobileTransEx: the buffer's size is given, so it can never be overrun. */
    const char *code = MobileTransEx(in_data, out_data, sizeof out_data, &needed);
    const char *output = out_data;
    char *big = NULL;
    if (strcmp(code, "000106") == 0) {
        /* The portal answered 000000 and the output did not fit. The call WAS made: never call
         * MobileTransEx again (that sends the request again). Fetch the stored output on this
         * thread, now, into a buffer of the size reported; the code is the stored call's own. */
        big = malloc(needed);
        if (big == NULL)
            return 1;
        code = OneTransLastOutput(big, needed, &needed);
        output = big;
    }
    printf("code:   %s\noutput: %s\n", code, output);
    int ok = strcmp(code, "000000") == 0 && strstr(output, "\"code\":0") != NULL;
    free(big);
    return ok ? 0 : 1;
}
