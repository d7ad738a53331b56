//! Facts about the operating system the library runs on: where the library file itself lies
//! (to find `OneTrans.ini` and the `log` folder beside it) and the ANSI code page.
//!
//! It can also pin the library in memory ([`ModulePin`]) while a helper thread of it may still
//! run. (The unload hooks, `DllMain` and the ELF destructor, are exports: they live in
//! [`crate::ffi`].)
//!
//! Besides [`crate::ffi`] and the SIMD engines of [`crate::sm4`], this is the only module with
//! `unsafe`: read-only OS queries, and taking and releasing a reference to the library itself.

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

/// A reference the library holds to itself, so that the host's `dlclose`/`FreeLibrary` does not
/// unmap it while a thread of the library still runs (see `transport::bounded_lookup`).
/// Dropping it releases the reference.
///
/// Drop it only from inside a call into the library: the host holds its own reference then, so
/// the release never unloads the code that is running. Pinning, rather than waiting in the
/// unload hook, because the hooks run under the loader lock (`DllMain`; glibc's `dlclose`),
/// where waiting for a thread can deadlock: a Windows thread needs that lock to exit.
#[derive(Debug)]
pub struct ModulePin(imp::Pin);

impl ModulePin {
    /// Takes a reference to this library; `None` when the OS cannot tell which module this is
    /// (for example when linked statically into a program, which cannot be unloaded anyway).
    pub fn new() -> Option<ModulePin> {
        imp::pin().map(ModulePin)
    }
}

impl Drop for ModulePin {
    fn drop(&mut self) {
        imp::unpin(&self.0);
    }
}

#[cfg(unix)]
mod imp {
    use std::ffi::{CStr, OsStr};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
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

    /// A `dlopen` handle to this library.
    #[derive(Debug)]
    pub struct Pin(*mut libc::c_void);

    // SAFETY: a dlopen handle is a process-wide token, usable from any thread.
    unsafe impl Send for Pin {}
    // SAFETY: as above; `Pin` has no interior mutability.
    unsafe impl Sync for Pin {}

    /// `dlopen` of this library's own file with `RTLD_NOLOAD`: no new load, one more reference
    /// to the loaded one.
    pub fn pin() -> Option<Pin> {
        let path = library_path()?;
        let path = std::ffi::CString::new(path.into_os_string().into_vec()).ok()?;
        // SAFETY: a NUL-terminated path; RTLD_NOLOAD only takes a reference to a library that is
        // already loaded (this one: the code running now), it never runs initialisers.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
        (!handle.is_null()).then_some(Pin(handle))
    }

    pub fn unpin(pin: &Pin) {
        // SAFETY: a handle from dlopen, closed once (only from `ModulePin`'s drop); the caller
        // holds another reference, so this does not unload the library.
        unsafe { libc::dlclose(pin.0) };
    }
}

#[cfg(windows)]
mod imp {
    use std::ffi::OsString;
    use std::os::windows::ffi::OsStringExt;
    use std::path::PathBuf;

    use windows_sys::Win32::Foundation::{FreeLibrary, HMODULE};
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

    /// A counted reference to this DLL.
    #[derive(Debug)]
    pub struct Pin(HMODULE);

    // SAFETY: a module handle is a process-wide token, usable from any thread.
    unsafe impl Send for Pin {}
    // SAFETY: as above; `Pin` has no interior mutability.
    unsafe impl Sync for Pin {}

    /// `GetModuleHandleExW` with `FROM_ADDRESS` and without `UNCHANGED_REFCOUNT`: one more
    /// reference to this DLL, as `LoadLibrary` would take.
    pub fn pin() -> Option<Pin> {
        let mut module: HMODULE = std::ptr::null_mut();
        let here = pin as *const u16;
        // SAFETY: with FROM_ADDRESS the second argument is only used as an address inside this
        // module; the reference taken is released by `unpin`.
        let ok = unsafe {
            GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, here, &mut module)
        };
        (ok != 0 && !module.is_null()).then_some(Pin(module))
    }

    pub fn unpin(pin: &Pin) {
        // SAFETY: releases the reference `pin` took, once (only from `ModulePin`'s drop); the
        // caller holds another reference, so this does not unload the DLL.
        unsafe { FreeLibrary(pin.0) };
    }

    pub fn default_charset() -> Charset {
        // SAFETY: GetACP takes no arguments and only reads a process setting.
        match unsafe { GetACP() } {
            936 | 54936 => Charset::Gb18030,
            _ => Charset::Utf8,
        }
    }
}

#[cfg(not(any(unix, windows)))]
mod imp {
    pub fn library_path() -> Option<std::path::PathBuf> {
        None
    }

    #[derive(Debug)]
    pub struct Pin;

    pub fn pin() -> Option<Pin> {
        None
    }

    pub fn unpin(_: &Pin) {}

    pub fn default_charset() -> crate::charset::Charset {
        crate::charset::Charset::Utf8
    }
}
