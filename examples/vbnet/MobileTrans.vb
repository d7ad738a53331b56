' Calling onetrans from VB.NET through P/Invoke (the same declarations as the C# example).
'
' Windows (.NET, 32- or 64-bit process): LibName "OneTrans.dll" or "onetrans" (the loader adds
' ".dll"); the x86 DLL for a 32-bit process ("Prefer 32-bit", x86), the x64 DLL for a 64-bit one.
'   vbc /optionstrict+ MobileTrans.vb && MobileTrans.exe http://127.0.0.1:PORT
' Linux (Mono, where a VB compiler exists: Debian 12 packages none):
'   vbnc MobileTrans.vb && LD_LIBRARY_PATH=<dir of libonetrans.so> mono MobileTrans.exe http://127.0.0.1:PORT
'
' Returned codes are IntPtr, never String: the marshaller would free a returned String, and the
' library owns that memory (its own codes are static; a portal's code passed through is kept for
' the life of the process). Read them with Marshal.PtrToStringAnsi / PtrToStringUni.
'
' Which interface: MobileTransW takes and returns .NET's own UTF-16 strings, so the answer reads
' the same whatever OneTrans.ini's charset says and whatever the Windows code page is: use it.
' The byte interface (MobileTransEx) answers in the encoding it read the request as; with
' charset=auto a request without Chinese is answered in the ANSI code page (GBK on Chinese
' Windows), so a program that sends UTF-8 bytes must set "charset = utf-8" in OneTrans.ini.
Option Strict On
Option Explicit On

Imports System
Imports System.Runtime.InteropServices
Imports System.Text

Public Module OneTrans
    Public Const LibName As String = "onetrans"

    ' UTF-16 in and out. The output buffer holds outBufSize/2 chars (32768): raise outBufSize in
    ' OneTrans.ini only together with this buffer.
    <DllImport(LibName, CallingConvention:=CallingConvention.StdCall, CharSet:=CharSet.Unicode, ExactSpelling:=True)>
    Public Function MobileTransW(pInData As String, <Out> pOutData As Char()) As IntPtr
    End Function

    ' After MobileTransW answered 000106: this thread's stored output in UTF-16 (outCap and
    ' outLen in chars, the terminating 0 included). Sends nothing.
    <DllImport(LibName, CallingConvention:=CallingConvention.StdCall, CharSet:=CharSet.Unicode, ExactSpelling:=True)>
    Public Function OneTransLastOutputW(<Out> pOutData As Char(), outCap As UInteger, ByRef outLen As UInteger) As IntPtr
    End Function

    ' The vendor's call, bytes in and out: writes up to outBufSize bytes (65536) into pOutData,
    ' which must be that big. Prefer MobileTransEx, which is told the size.
    <DllImport(LibName, CallingConvention:=CallingConvention.StdCall, ExactSpelling:=True)>
    Public Function MobileTrans(pInData As Byte(), pOutData As Byte()) As IntPtr
    End Function

    ' Bytes in and out, with the buffer's size given (UTF-8 needs charset=utf-8, see above).
    <DllImport(LibName, CallingConvention:=CallingConvention.StdCall, ExactSpelling:=True)>
    Public Function MobileTransEx(pInData As Byte(), pOutData As Byte(), outCap As UInteger, ByRef outLen As UInteger) As IntPtr
    End Function

    ' After MobileTrans/MobileTransEx answered 000106: this thread's stored output (bytes).
    <DllImport(LibName, CallingConvention:=CallingConvention.StdCall, ExactSpelling:=True)>
    Public Function OneTransLastOutput(pOutData As Byte(), outCap As UInteger, ByRef outLen As UInteger) As IntPtr
    End Function

    <DllImport(LibName, CallingConvention:=CallingConvention.StdCall, ExactSpelling:=True)>
    Public Function OneTransVersion() As IntPtr
    End Function

    ' One call in UTF-16; returns the code, the output JSON in `output`. After 000106 the call
    ' WAS made: its output is fetched on this same thread, right away (never call again: that
    ' sends the request again), with the stored call's own code.
    Public Function CallW(json As String, ByRef output As String) As String
        Dim buffer As Char() = New Char(32767) {}
        Dim code As String = Marshal.PtrToStringUni(MobileTransW(json, buffer))
        If code = "000106" Then
            Dim needed As UInteger = 0
            code = Marshal.PtrToStringUni(OneTransLastOutputW(buffer, CUInt(buffer.Length), needed))
            If code = "000106" Then ' still too small: needed says how many chars
                buffer = New Char(CInt(needed) - 1) {}
                code = Marshal.PtrToStringUni(OneTransLastOutputW(buffer, needed, needed))
            End If
        End If
        output = New String(buffer, 0, Array.IndexOf(buffer, ChrW(0)))
        Return code
    End Function

    ' One call in bytes of `enc` (UTF-8 with charset=utf-8; Encoding.GetEncoding(936) with
    ' charset=gbk), into a buffer of `capacity` bytes; 000106 recovered as in CallW.
    Public Function CallBytes(json As String, enc As Encoding, capacity As UInteger, ByRef output As String) As String
        Dim input As Byte() = enc.GetBytes(json & ChrW(0))
        Dim buffer As Byte() = New Byte(CInt(capacity) - 1) {}
        Dim needed As UInteger = 0
        Dim code As String = Marshal.PtrToStringAnsi(MobileTransEx(input, buffer, capacity, needed))
        If code = "000106" Then
            buffer = New Byte(CInt(needed) - 1) {}
            code = Marshal.PtrToStringAnsi(OneTransLastOutput(buffer, needed, needed))
        End If
        output = enc.GetString(buffer, 0, Array.IndexOf(buffer, CByte(0)))
        Return code
    End Function
End Module

Public Module Program
    Private Const AppId As String = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN"
    Private Const AppKey As String = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"
    Private passed As Integer
    Private failed As Integer

    Private Sub Check(ok As Boolean, what As String, code As String, output As String)
        If ok Then
            passed += 1
            Console.WriteLine("ok   " & what & " (" & code & ")")
        Else
            failed += 1
            Console.WriteLine("FAIL " & what & ": code " & code & ", output " & output)
        End If
    End Sub

    Private Function PushMsg(url As String, order As String, blob As String) As String
        Return "{""data"":{""serverAddr"":""" & url & """,""appId"":""" & AppId & """,""appKey"":""" & AppKey & """," &
               """medOrgOrd"":""" & order & """,""orderStatus"":""MERCHANT_PAID"",""orgCode"":""H46040100001""," &
               """patientName"":""周大鹏"",""idType"":""02"",""idNo"":""460029196507081627""," &
               """pushType"":""HOSPITAL_PAYMENT"",""blob"":""" & blob & """},""orgId"":""H46010000000""}"
    End Function

    Public Function Main(args As String()) As Integer
        If args.Length < 1 Then
            Console.WriteLine("usage: MobileTrans.exe PORTAL_BASE_URL")
            Return 2
        End If
        Dim url As String = args(0) & "/api/amp/hos/pushMsg"
        Dim echo As String = args(0) & "/_fault/echo/api/amp/hos/pushMsg"
        Console.WriteLine("onetrans " & Marshal.PtrToStringAnsi(OneTransVersion()))

        Dim outText As String = ""
        Dim code As String = CallW(PushMsg(url, "VB-ORDER-1", ""), outText)
        Check(code = "000000" AndAlso outText.Contains("""code"":0") AndAlso outText.Contains("SUCCESS"), "MobileTransW succeeds", code, outText)

        ' No Chinese in the request: in UTF-16 the answer reads the same on every Windows.
        Dim drug As String = "{""data"":{""serverAddr"":""" & args(0) & "/api/mobile/verificationDrug"",""appId"":""" & AppId &
                             """,""appKey"":""" & AppKey & """,""mobileDrugTipsId"":""VB-TICKET-1"",""drugTipsIdType"":""qr""}}"
        code = CallW(drug, outText)
        Check(code = "000000" AndAlso outText.Contains("""code"":0") AndAlso outText.Contains("drugType"), "an all-ASCII drug write-off through MobileTransW", code, outText)

        code = CallBytes(PushMsg(echo, "VB-ORDER-2", New String("x"c, 3000)), Encoding.UTF8, 1024, outText)
        Check(code = "000000" AndAlso outText.Contains("VB-ORDER-2"), "MobileTransEx 000106, then OneTransLastOutput", code, outText)

        Try
            code = CallW(PushMsg(echo, "VB-WIDE-BIG", New String("y"c, 40000)), outText)
            Check(code = "000000" AndAlso outText.Contains("VB-WIDE-BIG") AndAlso outText.Length > 40000,
                  "MobileTransW 000106, then OneTransLastOutputW", code, outText.Substring(0, Math.Min(300, outText.Length)))
        Catch ex As EntryPointNotFoundException
            Console.WriteLine("SKIP OneTransLastOutputW: this library does not export it (older than issue 10)")
        End Try

        Console.WriteLine(passed & " passed, " & failed & " failed")
        Return If(failed = 0, 0, 1)
    End Function
End Module
