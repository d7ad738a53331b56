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

  WriteLn(Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then
    Halt(1);
end.
