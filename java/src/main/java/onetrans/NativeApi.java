package onetrans;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The library's exports as JNA sees them ({@code include/onetrans.h}). Only the length-aware
 * ones: {@code MobileTrans} trusts the caller's buffer to be {@code outBufSize} bytes, which a
 * binding cannot know. The returned code pointers belong to the library and are never freed.
 */
interface NativeApi extends Library {
    /** {@code const char *MobileTransEx(const char *pInData, char *pOutData, uint32_t outCap, uint32_t *outLen)}. */
    Pointer MobileTransEx(byte[] pInData, byte[] pOutData, int outCap, IntByReference outLen);

    /** {@code const char *OneTransLastOutput(char *pOutData, uint32_t outCap, uint32_t *outLen)}. */
    Pointer OneTransLastOutput(byte[] pOutData, int outCap, IntByReference outLen);

    /** {@code const char *OneTransVersion(void)}. */
    Pointer OneTransVersion();
}
