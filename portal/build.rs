//! Build script: the VERSIONINFO resource of onetrans-portal.exe, on Windows targets only
//! (nothing is done for any other target). See windows/version_resource.rs.

include!("../windows/version_resource.rs");

fn main() {
    VersionResource {
        original_filename: "onetrans-portal.exe",
        description: "医保支付门户模拟器（测试用） / the medical-insurance payment portal simulator (for tests)",
        file_type: VFT_APP,
    }
    .embed();
}
