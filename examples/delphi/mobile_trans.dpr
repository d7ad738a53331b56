{ Calling onetrans from Delphi (here compiled by Free Pascal in Delphi mode).

  Windows (Delphi, 32-bit):  the declaration below with 'OneTrans.dll' and stdcall.
  Linux (Free Pascal):       fpc -Mdelphi -Fl<dir of libonetrans.so> mobile_trans.dpr
                             LD_LIBRARY_PATH=<dir> ./mobile_trans http://127.0.0.1:PORT

  The argument is the base URL of a portal (the simulator). The program ends with
  "N passed, M failed" and exits non-zero if anything failed. }
program mobile_trans;

{$mode delphi}{$H+}

uses
  SysUtils;

const
{$ifdef windows}
  LibName = 'OneTrans.dll';
{$else}
  LibName = 'onetrans';
{$endif}
  AppId = 'zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN';
  AppKey = 'St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM';
  OutSize = 65536;

{ The vendor's declaration: PAnsiChar in, PAnsiChar out, stdcall on Windows. The returned code
  belongs to the library: copy it, never free it. }
function MobileTrans(pInData, pOutData: PAnsiChar): PAnsiChar;
  {$ifdef windows}stdcall{$else}cdecl{$endif}; external LibName name 'MobileTrans';
{ The same call with the buffer's size given: never writes past outCap; outLen receives the
  bytes the whole output needs. }
function MobileTransEx(pInData, pOutData: PAnsiChar; outCap: Cardinal; outLen: PCardinal): PAnsiChar;
  {$ifdef windows}stdcall{$else}cdecl{$endif}; external LibName name 'MobileTransEx';
{ After 000106 (the call was made, verified, and its output did not fit): this thread's stored
  output and the stored call's own code. Sends nothing. Call it on the same thread, right away.
  (OneTransLastOutputW, the UTF-16 twin for MobileTransW callers, is declared in the README.) }
function OneTransLastOutput(pOutData: PAnsiChar; outCap: Cardinal; outLen: PCardinal): PAnsiChar;
  {$ifdef windows}stdcall{$else}cdecl{$endif}; external LibName name 'OneTransLastOutput';
function OneTransVersion: PAnsiChar;
  {$ifdef windows}stdcall{$else}cdecl{$endif}; external LibName name 'OneTransVersion';

var
  Passed, Failed: Integer;

procedure Check(Ok: Boolean; const What, Code, Output: AnsiString);
begin
  if Ok then
  begin
    Inc(Passed);
    WriteLn('ok   ', What, ' (', Code, ')');
  end
  else
  begin
    Inc(Failed);
    WriteLn('FAIL ', What, ': code ', Code, ', output ', Copy(Output, 1, 300));
  end;
end;

{ One call into a buffer of Cap bytes; after 000106 the stored output is fetched into a buffer
  of the size the library reported (never by calling MobileTransEx again: that would send the
  request again). }
function CallEx(const Input: AnsiString; Cap: Cardinal; out Output: AnsiString): AnsiString;
var
  Buf: array of AnsiChar;
  Needed: Cardinal;
begin
  SetLength(Buf, Cap);
  Needed := 0;
  Result := AnsiString(MobileTransEx(PAnsiChar(Input), @Buf[0], Cap, @Needed));
  if Result = '000106' then
  begin
    SetLength(Buf, Needed);
    Result := AnsiString(OneTransLastOutput(@Buf[0], Needed, @Needed));
  end;
  Output := AnsiString(PAnsiChar(@Buf[0]));
end;

function PushMsg(const Url, Order: AnsiString): AnsiString;
begin
  Result := '{"data":{"serverAddr":"' + Url + '","appId":"' + AppId + '","appKey":"' + AppKey +
    '","encryptType":"SM4","signType":"SM3","timestamp":"","version":"1.0.0",' +
    '"medOrgOrd":"' + Order + '","orderStatus":"MERCHANT_PAID","orgCode":"H46040100001",' +
    '"patientName":"Zhou","idType":"02","idNo":"460029196507081627",' +
    '"pushType":"HOSPITAL_PAYMENT"},"orgId":"H46010000000"}';
end;

var
  Base, Input, Code, Output: AnsiString;
  OutBuf: array of AnsiChar;
begin
  if ParamCount < 1 then
  begin
    WriteLn('usage: mobile_trans PORTAL_BASE_URL');
    Halt(2);
  end;
  Base := ParamStr(1);
  SetLength(OutBuf, OutSize);
  WriteLn('onetrans ', AnsiString(OneTransVersion));

  Input := PushMsg(Base + '/api/amp/hos/pushMsg', 'DELPHI-ORDER-1');
  Code := AnsiString(MobileTrans(PAnsiChar(Input), @OutBuf[0]));
  Output := AnsiString(PAnsiChar(@OutBuf[0]));
  Check((Code = '000000') and (Pos('"code":0', Output) > 0) and (Pos('SUCCESS', Output) > 0),
    'pushMsg succeeds', Code, Output);

  Input := '{"data":{"appId":"' + AppId + '"}}';
  Code := AnsiString(MobileTrans(PAnsiChar(Input), @OutBuf[0]));
  Output := AnsiString(PAnsiChar(@OutBuf[0]));
  Check((Code = '000105') and (Pos('serverAddr', Output) > 0), 'missing serverAddr is 000105',
    Code, Output);

  Input := PushMsg(Base + '/_fault/echo/api/amp/hos/pushMsg', 'DELPHI-BIG-' + StringOfChar('x', 2000));
  Code := CallEx(Input, 256, Output);
  Check((Code = '000000') and (Pos('DELPHI-BIG-', Output) > 0) and (Length(Output) > 2000),
    '000106 from MobileTransEx, then OneTransLastOutput', Code, Output);

  WriteLn(Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then
    Halt(1);
end.
