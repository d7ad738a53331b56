// Calling onetrans from C# through P/Invoke.
//
// Windows (.NET, 32- or 64-bit process): DllImport "OneTrans.dll" (the x86 DLL for a 32-bit
// process); StdCall matters on 32-bit only. Linux (Mono): mcs MobileTrans.cs &&
// LD_LIBRARY_PATH=<dir of libonetrans.so> mono MobileTrans.exe http://127.0.0.1:PORT
//
// Returned codes are IntPtr, never string: the marshaller would free a returned string, and the
// library owns that memory (the library's own codes are static; a portal's code passed through
// is kept for the life of the process).
//
// Which interface: MobileTransW takes and returns C#'s own UTF-16 strings, so the answer reads
// the same whatever OneTrans.ini's charset says and whatever the Windows code page is: use it.
// The byte interface (MobileTransEx) answers in the encoding it read the request as; with
// charset=auto a request without Chinese is answered in the ANSI code page (GBK on Chinese
// Windows), so a program that sends UTF-8 bytes must set "charset = utf-8" in OneTrans.ini.
using System;
using System.Runtime.InteropServices;
using System.Text;

static class OneTrans
{
    const string Lib = "onetrans"; // "OneTrans.dll" on Windows: the loader adds the suffix

    // UTF-16 in and out: C#'s own strings. The output buffer holds outBufSize/2 chars (32768):
    // raise outBufSize in OneTrans.ini only together with this buffer.
    [DllImport(Lib, CallingConvention = CallingConvention.StdCall, CharSet = CharSet.Unicode)]
    public static extern IntPtr MobileTransW(string pInData, [Out] char[] pOutData);

    // After MobileTransW answered 000106: this thread's stored output, in UTF-16 (outCap and
    // outLen in chars, the terminating 0 included). Sends nothing.
    [DllImport(Lib, CallingConvention = CallingConvention.StdCall, CharSet = CharSet.Unicode)]
    public static extern IntPtr OneTransLastOutputW([Out] char[] pOutData, uint outCap, out uint outLen);

    // Bytes in and out, with the buffer's size given (UTF-8 here: needs charset=utf-8 on
    // Chinese Windows, see above).
    [DllImport(Lib, CallingConvention = CallingConvention.StdCall)]
    public static extern IntPtr MobileTransEx(byte[] pInData, byte[] pOutData, uint outCap, out uint outLen);

    // After MobileTrans/MobileTransEx answered 000106: this thread's stored output (bytes).
    [DllImport(Lib, CallingConvention = CallingConvention.StdCall)]
    public static extern IntPtr OneTransLastOutput(byte[] pOutData, uint outCap, out uint outLen);

    [DllImport(Lib, CallingConvention = CallingConvention.StdCall)]
    public static extern IntPtr OneTransVersion();

    /// One call in UTF-16; returns the code, the output JSON in `output`. After 000106 the call
    /// WAS made: the output is fetched on this same thread, right away (never call again: that
    /// sends the request again), with the stored call's own code.
    public static string CallW(string json, out string output)
    {
        var buffer = new char[32768];
        string code = Marshal.PtrToStringUni(MobileTransW(json, buffer));
        if (code == "000106")
        {
            uint needed;
            code = Marshal.PtrToStringUni(OneTransLastOutputW(buffer, (uint)buffer.Length, out needed));
            if (code == "000106")   // still too small: *outLen says how many chars
            {
                buffer = new char[needed];
                code = Marshal.PtrToStringUni(OneTransLastOutputW(buffer, needed, out needed));
            }
        }
        output = new string(buffer, 0, Array.IndexOf(buffer, '\0'));
        return code;
    }

    /// One call in bytes of `encoding` (UTF-8 with charset=utf-8; Encoding.GetEncoding(936) with
    /// charset=gbk), into a buffer of `capacity` bytes; 000106 recovered as in CallW.
    public static string CallBytes(string json, Encoding encoding, uint capacity, out string output)
    {
        byte[] input = encoding.GetBytes(json + "\0");
        byte[] buffer = new byte[capacity];
        uint needed;
        string code = Marshal.PtrToStringAnsi(MobileTransEx(input, buffer, capacity, out needed));
        if (code == "000106")
        {
            buffer = new byte[needed];
            code = Marshal.PtrToStringAnsi(OneTransLastOutput(buffer, needed, out needed));
        }
        output = encoding.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0));
        return code;
    }
}

static class Program
{
    const string AppId = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
    const string AppKey = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";
    static int passed, failed;

    static void Check(bool ok, string what, string code, string output)
    {
        if (ok) { passed++; Console.WriteLine("ok   " + what + " (" + code + ")"); }
        else { failed++; Console.WriteLine("FAIL " + what + ": code " + code + ", output " + output); }
    }

    static string PushMsg(string url, string order, string blob)
    {
        return "{\"data\":{\"serverAddr\":\"" + url + "\",\"appId\":\"" + AppId + "\",\"appKey\":\"" + AppKey + "\"," +
               "\"medOrgOrd\":\"" + order + "\",\"orderStatus\":\"MERCHANT_PAID\",\"orgCode\":\"H46040100001\"," +
               "\"patientName\":\"周大鹏\",\"idType\":\"02\",\"idNo\":\"460029196507081627\",\"pushType\":\"HOSPITAL_PAYMENT\",\"blob\":\"" + blob + "\"}," +
               "\"orgId\":\"H46010000000\"}";
    }

    static int Main(string[] args)
    {
        if (args.Length < 1) { Console.WriteLine("usage: MobileTrans.exe PORTAL_BASE_URL"); return 2; }
        string url = args[0] + "/api/amp/hos/pushMsg";
        string echo = args[0] + "/_fault/echo/api/amp/hos/pushMsg";
        Console.WriteLine("onetrans " + Marshal.PtrToStringAnsi(OneTrans.OneTransVersion()));

        string text;
        string code = OneTrans.CallW(PushMsg(url, "CS-ORDER-1", ""), out text);
        Check(code == "000000" && text.Contains("\"code\":0") && text.Contains("SUCCESS"), "MobileTransW succeeds", code, text);

        // No Chinese in the request: in UTF-16 the answer reads the same on every Windows.
        string drug = "{\"data\":{\"serverAddr\":\"" + args[0] + "/api/mobile/verificationDrug\",\"appId\":\"" + AppId +
                      "\",\"appKey\":\"" + AppKey + "\",\"mobileDrugTipsId\":\"CS-TICKET-1\",\"drugTipsIdType\":\"qr\"}}";
        code = OneTrans.CallW(drug, out text);
        Check(code == "000000" && text.Contains("\"code\":0") && text.Contains("drugType"), "an all-ASCII drug write-off through MobileTransW", code, text);

        var small = new byte[64];
        uint needed;
        code = Marshal.PtrToStringAnsi(OneTrans.MobileTransEx(Encoding.UTF8.GetBytes(PushMsg(url, "CS-ORDER-2", "") + "\0"), small, (uint)small.Length, out needed));
        Check(code == "000106" && needed > 64, "MobileTransEx reports the size needed", code, "needed " + needed);
        var big = new byte[needed];
        code = Marshal.PtrToStringAnsi(OneTrans.OneTransLastOutput(big, needed, out needed));
        text = Encoding.UTF8.GetString(big, 0, Array.IndexOf(big, (byte)0));
        Check(code == "000000" && text.Contains("SUCCESS"), "OneTransLastOutput fetches that call's output (not sent again)", code, text);

        code = OneTrans.CallBytes(PushMsg(echo, "CS-ORDER-3", new string('x', 3000)), Encoding.UTF8, 1024, out text);
        Check(code == "000000" && text.Contains("CS-ORDER-3"), "CallBytes recovers a 000106 on its own thread", code, text);

        try
        {
            code = OneTrans.CallW(PushMsg(echo, "CS-WIDE-BIG", new string('y', 40000)), out text);
            Check(code == "000000" && text.Contains("CS-WIDE-BIG") && text.Length > 40000,
                  "MobileTransW 000106, then OneTransLastOutputW", code, text.Substring(0, Math.Min(300, text.Length)));
        }
        catch (EntryPointNotFoundException)
        {
            Console.WriteLine("SKIP OneTransLastOutputW: this library does not export it (older than issue 10)");
        }

        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
