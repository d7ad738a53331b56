package demo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import onetrans.GatewayClient;
import onetrans.GatewayResponse;

/** Amp网关调用示例，与厂商 SDK 的 AmpGatewayClientDemo 同形 / the vendor's demo, on onetrans. */
public class AmpGatewayClientDemo {
    /** 以下变量对接时由门户提供 / issued at onboarding (here: the simulator's example app). */
    private static final String URL = "http://127.0.0.1:8080/api/amp/hos";
    private static final String APP_ID = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
    private static final String APP_SECRET = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";
    private static final String CLIENT_PRV_KEY = "";
    private static final String SERVER_PUB_KEY = "";

    public static void main(String[] args) {
        GatewayResponse response = orgPushMsg(args.length > 0 ? args[0] : URL);
        System.exit(response.isSuccess() ? 0 : 1);
    }

    public static GatewayResponse orgPushMsg(String url) {
        // 一、初始化Client（线程安全，可全局共用一个）/ one client for every thread
        GatewayClient client = new GatewayClient(url,
                CLIENT_PRV_KEY,
                APP_ID,
                APP_SECRET,
                SERVER_PUB_KEY,
                // 默认加密方式
                "SM4",
                // 默认的签名方式（SM2 时填 CLIENT_PRV_KEY、SERVER_PUB_KEY）
                "SM3",
                // 代理主机（需要代理时才进行设置）
                "",
                // 代理端口（需要代理时才进行设置）
                null,
                // 连接超时时间（毫秒）
                6000,
                // 连接读取超时时间（毫秒）
                30000
        );
        // 二、入参拼装
        Map<String, Object> param = new LinkedHashMap<>();
        param.put("cardType", "01");
        param.put("cardNo", "D3508701966");
        param.put("appType", "01");
        // 定点机构自己的订单ID，这里用 uuid 只是举例
        param.put("medOrgOrd", UUID.randomUUID().toString().replaceAll("-", ""));
        param.put("payOrdId", "ORD324976159723947394273416");
        param.put("orderStatus", "MERCHANT_PAID");
        param.put("orgCode", "H35010200227");
        param.put("subOrgCode", "01");
        param.put("patientName", "周大鹏");
        param.put("idType", "01");
        param.put("idNo", "35020519870819015X");
        param.put("takeMedicineLoc", "请至东药房104取您的药品！");
        param.put("pushType", "HOSPITAL_PAYMENT");
        param.put("deptName", "其他内科");
        param.put("deptCode", "013423");
        // 三、调用：第一个参数为接口后缀，拼在 URL 之后
        GatewayResponse response = client.common("/pushMsg", param);
        if (response.isSuccess()) {
            // 出参接收与处理
            System.out.println("响应出参：" + response.getParam());
        } else if (response.isNotSent()) {
            // 000100、000105：请求肯定没有发出，改正后可放心重试
            System.out.println("未发出，可重试: " + response.getRespCode() + " " + response.getRespMsg());
        } else if (response.isOutcomeUnknown()) {
            // 000001 等：请求可能已送达，先查询交易状态，不要直接重试
            System.out.println("结果未知，先查询: " + response.getRespCode() + " " + response.getRespMsg());
        } else {
            // 门户拒绝（如 010010、-8）或业务失败（respCode 000000，code 非 0）
            System.out.println("请求失败,错误码:" + response.getRespCode() + ",业务码:" + response.getCode()
                    + ",错误信息:" + response.getMessage());
        }
        return response;
    }
}
