//! Build script: the VERSIONINFO resource of OneTrans.dll, on Windows targets only (nothing is
//! done for any other target). See windows/version_resource.rs.

include!("windows/version_resource.rs");

fn main() {
    VersionResource {
        original_filename: "OneTrans.dll",
        description: "医保支付门户接口动态库 OneTrans (MobileTrans) / the OneTrans (MobileTrans) medical-insurance portal library",
        file_type: VFT_DLL,
    }
    .embed();
}
