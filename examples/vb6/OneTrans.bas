Attribute VB_Name = "OneTrans"
' Calling OneTrans.dll from Visual Basic 6 (reference: no VB6 compiler runs in the tests).
'
' VB6 programs are 32-bit: use x86\OneTrans.dll, beside the .exe (or VB6.EXE while debugging in
' the IDE) or in a folder on PATH. Declare calls __stdcall, as the DLL expects.
'
' Three rules:
' * Strings go in as "ByVal ... As String": VB passes a NUL-terminated copy in the ANSI code page
'   (GBK on Chinese Windows) and copies what the DLL wrote back into the variable. An output
'   buffer must exist and be big enough before the call: Space$(65536), or String$(32768, 0)
'   for the UTF-16 functions.
' * The returned code is a pointer: declare it "As Long" and read it with PtrToAnsi/PtrToWide
'   below (lstrlenA/lstrlenW + CopyMemory). "As String" would take the pointer for a BSTR and
'   free it: the code belongs to the DLL (its own codes are static; a portal's code passed
'   through is kept for the life of the process).
' * outBufSize (OneTrans.ini, default 65536) is what MobileTrans may write into pOutData: raise it
'   only together with every Space$(...) buffer, or use MobileTransEx, which is told the size.
Option Explicit

' ANSI (GBK on Chinese Windows): VB's string conversion does the encoding; charset=auto (the
' default) answers GBK to GBK; "charset = gbk" in OneTrans.ini makes it certain.
Public Declare Function MobileTrans Lib "OneTrans.dll" (ByVal pInData As String, ByVal pOutData As String) As Long
Public Declare Function MobileTransEx Lib "OneTrans.dll" (ByVal pInData As String, ByVal pOutData As String, ByVal outCap As Long, ByRef outLen As Long) As Long
Public Declare Function OneTransLastOutput Lib "OneTrans.dll" (ByVal pOutData As String, ByVal outCap As Long, ByRef outLen As Long) As Long

' UTF-16, no conversion at all: pass StrPtr() of VB's own strings.
Public Declare Function MobileTransW Lib "OneTrans.dll" (ByVal pInData As Long, ByVal pOutData As Long) As Long
Public Declare Function OneTransLastOutputW Lib "OneTrans.dll" (ByVal pOutData As Long, ByVal outCap As Long, ByRef outLen As Long) As Long

Public Declare Function OneTransVersion Lib "OneTrans.dll" () As Long

Private Declare Function lstrlenA Lib "kernel32" (ByVal lpString As Long) As Long
Private Declare Function lstrlenW Lib "kernel32" (ByVal lpString As Long) As Long
Private Declare Sub CopyMemory Lib "kernel32" Alias "RtlMoveMemory" (Destination As Any, ByVal Source As Long, ByVal Length As Long)

' The NUL-terminated ANSI string at p (a code returned by MobileTrans, MobileTransEx,
' OneTransLastOutput, OneTransVersion), copied into a VB string. Never frees p.
Public Function PtrToAnsi(ByVal p As Long) As String
    Dim n As Long
    Dim b() As Byte
    If p = 0 Then Exit Function
    n = lstrlenA(p)
    If n = 0 Then Exit Function
    ReDim b(0 To n - 1)
    CopyMemory b(0), p, n
    PtrToAnsi = StrConv(b, vbUnicode)
End Function

' The NUL-terminated UTF-16 string at p (a code returned by MobileTransW, OneTransLastOutputW).
Public Function PtrToWide(ByVal p As Long) As String
    Dim n As Long
    If p = 0 Then Exit Function
    n = lstrlenW(p)
    PtrToWide = String$(n, vbNullChar)
    If n > 0 Then CopyMemory ByVal StrPtr(PtrToWide), p, n * 2
End Function

' The text before the first NUL of a buffer the DLL wrote into.
Public Function UntilNul(ByVal s As String) As String
    Dim i As Long
    i = InStr(s, vbNullChar)
    If i > 0 Then UntilNul = Left$(s, i - 1) Else UntilNul = s
End Function

' One call (ANSI); returns the code and puts the output JSON in sOutput. After "000106" the call
' WAS made and the portal answered: the output is fetched right away with OneTransLastOutput,
' into a buffer of the size the DLL reported. Never call MobileTransEx again for it: that would
' send the request again.
Public Function OneTransCall(ByVal sInput As String, ByRef sOutput As String) As String
    Dim sBuf As String
    Dim lNeeded As Long
    Dim sCode As String
    sBuf = Space$(65536)
    sCode = PtrToAnsi(MobileTransEx(sInput, sBuf, Len(sBuf), lNeeded))
    If sCode = "000106" Then
        sBuf = Space$(lNeeded)
        sCode = PtrToAnsi(OneTransLastOutput(sBuf, Len(sBuf), lNeeded))
    End If
    sOutput = UntilNul(sBuf)
    OneTransCall = sCode
End Function

' The same in UTF-16 (MobileTransW writes at most outBufSize/2 = 32768 chars, the 0 included).
Public Function OneTransCallW(ByVal sInput As String, ByRef sOutput As String) As String
    Dim sBuf As String
    Dim lNeeded As Long
    Dim sCode As String
    sBuf = String$(32768, vbNullChar)
    sCode = PtrToWide(MobileTransW(StrPtr(sInput), StrPtr(sBuf)))
    If sCode = "000106" Then
        sCode = PtrToWide(OneTransLastOutputW(StrPtr(sBuf), Len(sBuf), lNeeded))
        If sCode = "000106" Then
            sBuf = String$(lNeeded, vbNullChar)
            sCode = PtrToWide(OneTransLastOutputW(StrPtr(sBuf), Len(sBuf), lNeeded))
        End If
    End If
    sOutput = UntilNul(sBuf)
    OneTransCallW = sCode
End Function

' Example: a drug write-off. "000000" means the portal answered and the answer verified; then
' "code" in the output says whether the business call succeeded (0).
Public Sub Example()
    Dim sIn As String, sOut As String, sCode As String
    sIn = "{""data"":{""serverAddr"":""http://PORTAL/api/mobile/verificationDrug""," & _
          """appId"":""..."",""appKey"":""..."",""mobileDrugTipsId"":""..."",""drugTipsIdType"":""qr""}}"
    sCode = OneTransCall(sIn, sOut)
    Select Case sCode
    Case "000000": Debug.Print "answered: "; sOut
    Case "000100": Debug.Print "not sent, safe to retry: "; sOut
    Case "000001": Debug.Print "outcome unknown, query before retrying: "; sOut
    Case Else: Debug.Print "failed ("; sCode; "): "; sOut
    End Select
End Sub
