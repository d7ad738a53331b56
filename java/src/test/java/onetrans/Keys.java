package onetrans;

/** The test credentials: the vendor document's example app, and an SM2 app made for the tests
 * with the key pairs of the spec's vectors ({@code vectors.json}, {@code sm2.keys}). */
final class Keys {
    private Keys() {}

    static final String APP_ID = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
    static final String APP_SECRET = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";

    static final String SM2_APP_ID = "SM2TestApp0000000000000000000001";
    static final String SM2_APP_SECRET = "SM2TestSecret000000000000000001";
    /** The institution's key pair ("client"). */
    static final String CLIENT_PRV_KEY = "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0";
    static final String CLIENT_PUB_KEY = "0444B4B876E7C2FBD2932391323431C0EDADDE62218647AF639564C633AD357AFE18B4BE1BA4354D114EF9347FB5F698A5A3D5E7BFE1C476A2082FE89F7C6C4F94";
    /** The portal's key pair ("server"). */
    static final String SERVER_PRV_KEY = "20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76";
    static final String SERVER_PUB_KEY = "047DA2F9B9B068936A33F4A8A71C7B305DC8CE398905B5DCEB0C209130011ECDA6F02373E071FB6D37BF10C21457CBC9DBD0115073F55C1A2ECBC0B5A9308EB2B4";

    /** The simulator's --app entry registering the SM2 app. */
    static final String SM2_APP_ENTRY = SM2_APP_ID + "=" + SM2_APP_SECRET + ",sm2:" + CLIENT_PUB_KEY
            + ",portalPrv:" + SERVER_PRV_KEY;
}
