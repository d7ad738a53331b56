"""药品核销与消息推送 / a drug write-off and a message push, through the onetrans package."""

import decimal
import sys
import uuid

import onetrans

PORTAL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
client = onetrans.Client(
    PORTAL,
    app_id="zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN",   # 对接时发放 / issued at onboarding
    app_key="St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM",
    org_id="H46010000000",
    read_timeout_ms=30000,                       # 本客户端的读超时 / this client's read timeout
)                                                # 线程安全，全局一个即可 / one for every thread

try:
    result = client.call("/api/mobile/verificationDrug",
                         {"mobileDrugTipsId": uuid.uuid4().hex, "drugTipsIdType": "qr"})
    if result.ok:
        print("核销成功", result.data["drugStatusDesc"], result.data["fee"])  # fee: Decimal('12.50')
    else:
        print("业务失败 / business failure:", result.code, result.message)
    push = client.call("/api/amp/hos/pushMsg", {
        "orgCode": "H46040100001", "medOrgOrd": uuid.uuid4().hex, "pushType": "HOSPITAL_PAYMENT",
        "orderStatus": "MERCHANT_WAIT_PAY", "patientName": "周大鹏", "idType": "02",
        "idNo": "460029196507081627", "amount": decimal.Decimal("12.50"),  # 原样发送 / sent as 12.50
    })
    print("推送", push.ok, push.data)
except onetrans.NotSentError as e:        # 000100, 000105: 肯定未发出，改正后可重试 / safe to retry
    print("未发出 / not sent:", e.resp_code, e.message)
except onetrans.OutcomeUnknownError as e:  # 000001 ...: 先查询交易状态 / query before any retry
    print("结果未知 / outcome unknown:", e.resp_code, e.message)
except onetrans.OneTransError as e:       # 门户拒绝等 / the portal's rejection (010010, -8 ...)
    print("失败 / failed:", e.resp_code, e.message)
