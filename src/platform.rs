//! Facts about the operating system the library runs on: where the library file itself lies
//! (to find `OneTrans.ini` and the `log` folder beside it) and the ANSI code page.
//!
//! It also closes the library's pooled connections when the library is unloaded (`dlclose`,
//! `FreeLibrary`): an ELF destructor on Unix, `DllMain` on Windows.
//!
//! Besides [`crate::ffi`] and the SIMD engines of [`crate::sm4`], this is the only module with
//! `unsafe`: two read-only OS queries.

use std::path::PathBuf;

use crate::charset::Charset;

/// The full path of this library file (`OneTrans.dll`, `libonetrans.so`), or `None` when the OS
/// cannot tell (for example when linked statically into a program).
pub fn library_path() -> Option<PathBuf> {
    imp::library_path()
}

/// The folder holding this library file.
pub fn library_dir() -> Option<PathBuf> {
    library_path()?.parent().map(PathBuf::from)
}

/// The encoding of plain-ASCII callers' answers under `charset=auto`: the ANSI code page on
/// Windows when it is 936 (GBK) or 54936 (GB18030), UTF-8 otherwise.
pub fn default_charset() -> Charset {
    imp::default_charset()
}

/// Called once when the library is unloaded (and, on Unix, at process exit): closes the pooled
/// connections. Never unwinds into the loader.
fn on_unload() {
    let _ = std::panic::catch_unwind(crate::transport::shut_down_shared);
}

#[cfg(unix)]
mod imp {
    use std::ffi::{CStr, OsStr};
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    use crate::charset::Charset;

    pub fn library_path() -> Option<PathBuf> {
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        let here = library_path as *const libc::c_void;
        // SAFETY: dladdr only reads its first argument as an address and fills `info`.
        let found = unsafe { libc::dladdr(here, &mut info) };
        if found == 0 || info.dli_fname.is_null() {
            return None;
        }
        // SAFETY: dladdr returned a NUL-terminated path owned by the loader, valid while the
        // library stays loaded; it is copied at once.
        let name = unsafe { CStr::from_ptr(info.dli_fname) };
        let path = PathBuf::from(OsStr::from_bytes(name.to_bytes()));
        std::fs::canonicalize(&path).ok().or(Some(path))
    }

    pub fn default_charset() -> Charset {
        Charset::Utf8
    }

    /// An ELF destructor: runs when the library is unmapped (`dlclose` of the last handle) and
    /// at process exit.
    #[used]
    #[link_section = ".fini_array"]
    static ON_UNLOAD: extern "C" fn() = {
        extern "C" fn on_unload() {
            super::on_unload();
        }
        on_unload
    };
}

#[cfg(windows)]
mod imp {
    use std::ffi::OsString;
    use std::os::windows::ffi::OsStringExt;
    use std::path::PathBuf;

    use windows_sys::Win32::Foundation::HMODULE;
    use windows_sys::Win32::Globalization::GetACP;
    use windows_sys::Win32::System::LibraryLoader::{
        GetModuleFileNameW, GetModuleHandleExW, GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
        GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
    };

    use crate::charset::Charset;

    pub fn library_path() -> Option<PathBuf> {
        let mut module: HMODULE = std::ptr::null_mut();
        let here = library_path as *const u16;
        // SAFETY: with FROM_ADDRESS the second argument is only used as an address inside the
        // module; UNCHANGED_REFCOUNT means nothing has to be released.
        let ok = unsafe {
            GetModuleHandleExW(
                GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS
                    | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                here,
                &mut module,
            )
        };
        if ok == 0 {
            return None;
        }
        let mut buf = vec![0u16; 32_768];
        // SAFETY: the buffer holds `buf.len()` units; the function writes at most that many.
        let n = unsafe { GetModuleFileNameW(module, buf.as_mut_ptr(), buf.len() as u32) } as usize;
        if n == 0 || n >= buf.len() {
            return None;
        }
        Some(PathBuf::from(OsString::from_wide(&buf[..n])))
    }

    pub fn default_charset() -> Charset {
        // SAFETY: GetACP takes no arguments and only reads a process setting.
        match unsafe { GetACP() } {
            936 | 54936 => Charset::Gb18030,
            _ => Charset::Utf8,
        }
    }

    /// The DLL entry point the C runtime calls. On `FreeLibrary` (`DLL_PROCESS_DETACH` with a
    /// NULL `reserved`) it closes the pooled connections; at process termination (`reserved`
    /// not NULL) it does nothing, as Windows advises.
    #[no_mangle]
    extern "system" fn DllMain(
        _module: HMODULE,
        reason: u32,
        reserved: *mut core::ffi::c_void,
    ) -> windows_sys::core::BOOL {
        const DLL_PROCESS_DETACH: u32 = 0;
        if reason == DLL_PROCESS_DETACH && reserved.is_null() {
            super::on_unload();
        }
        1
    }
}

#[cfg(not(any(unix, windows)))]
mod imp {
    pub fn library_path() -> Option<std::path::PathBuf> {
        None
    }

    pub fn default_charset() -> crate::charset::Charset {
        crate::charset::Charset::Utf8
    }
}
