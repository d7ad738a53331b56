// Calling onetrans from C# through P/Invoke.
//
// Windows (.NET, 32- or 64-bit process): DllImport "OneTrans.dll" (the x86 DLL for a 32-bit
// process); StdCall matters on 32-bit only. Linux (Mono): mcs MobileTrans.cs &&
// LD_LIBRARY_PATH=<dir of libonetrans.so> mono MobileTrans.exe http://127.0.0.1:PORT
//
// Returned codes are IntPtr, never string: the marshaller would free a returned string, and the
// library owns that memory.
using System;
using System.Runtime.InteropServices;
using System.Text;

static class OneTrans
{
    const string Lib = "onetrans"; // "OneTrans.dll" on Windows: the loader adds the suffix

    // UTF-16 in and out: C#'s own strings. The output buffer holds outBufSize/2 chars (32768).
    [DllImport(Lib, CallingConvention = CallingConvention.StdCall, CharSet = CharSet.Unicode)]
    public static extern IntPtr MobileTransW(string pInData, [Out] char[] pOutData);

    // Bytes in and out (UTF-8 here; GBK works too with charset=auto).
    [DllImport(Lib, CallingConvention = CallingConvention.StdCall)]
    public static extern IntPtr MobileTransEx(byte[] pInData, byte[] pOutData, uint outCap, out uint outLen);

    [DllImport(Lib, CallingConvention = CallingConvention.StdCall)]
    public static extern IntPtr OneTransVersion();
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

    static string PushMsg(string url, string order)
    {
        return "{\"data\":{\"serverAddr\":\"" + url + "\",\"appId\":\"" + AppId + "\",\"appKey\":\"" + AppKey + "\"," +
               "\"medOrgOrd\":\"" + order + "\",\"orderStatus\":\"MERCHANT_PAID\",\"orgCode\":\"H46040100001\"," +
               "\"patientName\":\"周大鹏\",\"idType\":\"02\",\"idNo\":\"460029196507081627\",\"pushType\":\"HOSPITAL_PAYMENT\"}," +
               "\"orgId\":\"H46010000000\"}";
    }

    static int Main(string[] args)
    {
        if (args.Length < 1) { Console.WriteLine("usage: MobileTrans.exe PORTAL_BASE_URL"); return 2; }
        string url = args[0] + "/api/amp/hos/pushMsg";
        Console.WriteLine("onetrans " + Marshal.PtrToStringAnsi(OneTrans.OneTransVersion()));

        var output = new char[32768];
        string code = Marshal.PtrToStringUni(OneTrans.MobileTransW(PushMsg(url, "CS-ORDER-1"), output));
        string text = new string(output, 0, Array.IndexOf(output, '\0'));
        Check(code == "000000" && text.Contains("\"code\":0") && text.Contains("SUCCESS"), "MobileTransW succeeds", code, text);

        var small = new byte[64];
        uint needed;
        code = Marshal.PtrToStringAnsi(OneTrans.MobileTransEx(Encoding.UTF8.GetBytes(PushMsg(url, "CS-ORDER-2") + "\0"), small, (uint)small.Length, out needed));
        Check(code == "000106" && needed > 64, "MobileTransEx reports the size needed", code, "needed " + needed);

        var big = new byte[needed];
        code = Marshal.PtrToStringAnsi(OneTrans.MobileTransEx(Encoding.UTF8.GetBytes(PushMsg(url, "CS-ORDER-3") + "\0"), big, needed, out needed));
        text = Encoding.UTF8.GetString(big, 0, Array.IndexOf(big, (byte)0));
        Check(code == "000000" && text.Contains("SUCCESS"), "MobileTransEx with that size succeeds", code, text);

        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
