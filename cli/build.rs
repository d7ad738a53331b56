//! Build script: the VERSIONINFO resource of onetrans.exe, on Windows targets only (nothing is
//! done for any other target). See windows/version_resource.rs.

include!("../windows/version_resource.rs");

fn main() {
    VersionResource {
        original_filename: "onetrans.exe",
        description: "OneTrans 对接工具箱：调用、自检、签名、密钥 / the OneTrans integrator's toolbox: call, check, sign, keys",
        file_type: VFT_APP,
    }
    .embed();
}
