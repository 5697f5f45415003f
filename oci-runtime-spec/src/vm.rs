//! The virtual-machine section of config.json (`vm`), for runtimes that run
//! containers in hardware-virtualised machines.
//!
//! Implements runtime-spec config-vm.md and its rules.

use crate::codec::string_enum;
use crate::validate::{Checker, Rule, absolute_at};

ocikit_spec_core::model! {
    /// Virtual-machine configuration (`vm`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Vm ("a vm object") {
        /// OPTIONAL. The hypervisor.
        hypervisor: Option<Hypervisor> => "hypervisor" (optional_or_null),
        /// REQUIRED. The kernel to boot.
        kernel: VmKernel => "kernel" (required),
        /// OPTIONAL. The root image.
        image: Option<VmImage> => "image" (optional_or_null),
        /// OPTIONAL. Hardware configuration.
        hw_config: Option<HwConfig> => "hwConfig" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// The hypervisor (`vm.hypervisor`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Hypervisor ("a hypervisor object") {
        /// REQUIRED. Absolute path of the hypervisor binary on the host.
        path: String => "path" (required),
        /// OPTIONAL. Parameters passed to the hypervisor.
        parameters: Vec<String> => "parameters" (default),
    }
}

ocikit_spec_core::model! {
    /// The kernel (`vm.kernel`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct VmKernel ("a kernel object") {
        /// REQUIRED. Absolute path of the kernel on the host.
        path: String => "path" (required),
        /// OPTIONAL. Kernel command-line parameters.
        parameters: Vec<String> => "parameters" (default),
        /// OPTIONAL. Absolute path of an initial ramdisk on the host.
        initrd: Option<String> => "initrd" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// The root image (`vm.image`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct VmImage ("an image object") {
        /// REQUIRED. Absolute path of the image on the host.
        path: String => "path" (required),
        /// REQUIRED. Image format.
        format: ImageFormat => "format" (required),
    }
}

string_enum! {
    /// A VM root image format (`vm.image.format`).
    pub enum ImageFormat (open, "VM image format", default Raw) {
        /// Raw disk image.
        Raw = "raw",
        /// QEMU copy-on-write v2.
        Qcow2 = "qcow2",
        /// VirtualBox.
        Vdi = "vdi",
        /// VMware.
        Vmdk = "vmdk",
        /// Hyper-V.
        Vhd = "vhd",
    }
}

ocikit_spec_core::model! {
    /// Hardware configuration (`vm.hwConfig`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct HwConfig ("a hwConfig object") {
        /// OPTIONAL. Path of the device tree on the host.
        device_tree: Option<String> => "deviceTree" (optional_or_null),
        /// OPTIONAL. Number of virtual CPUs.
        vcpus: Option<u32> => "vcpus" (optional_or_null),
        /// OPTIONAL. Memory, MiB.
        memory: Option<u64> => "memory" (optional_or_null),
        /// OPTIONAL. Host device tree nodes passed through.
        dtdevs: Vec<String> => "dtdevs" (default),
        /// OPTIONAL. I/O memory ranges passed through.
        iomems: Vec<IoMem> => "iomems" (default),
        /// OPTIONAL. Physical IRQs passed through.
        irqs: Vec<u32> => "irqs" (default),
    }
}

ocikit_spec_core::model! {
    /// An I/O memory range (an entry of `vm.hwConfig.iomems`), in pages.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct IoMem ("an iomem object") {
        /// OPTIONAL. First guest frame number; `firstMFN` when absent.
        first_gfn: Option<u64> => "firstGFN" (optional_or_null),
        /// REQUIRED. First machine frame number.
        first_mfn: u64 => "firstMFN" (required),
        /// REQUIRED. Number of frames.
        nr_mfns: u64 => "nrMFNs" (required),
    }
}

/// config-vm.md: the hypervisor, kernel, initrd and image paths MUST be
/// absolute.
pub(crate) fn check(c: &mut Checker, vm: &Vm) {
    if let Some(h) = &vm.hypervisor {
        c.field("hypervisor", |c| absolute_at(c, "path", Rule::Vm, &h.path));
    }
    c.field("kernel", |c| {
        absolute_at(c, "path", Rule::Vm, &vm.kernel.path);
        if let Some(initrd) = &vm.kernel.initrd {
            absolute_at(c, "initrd", Rule::Vm, initrd);
        }
    });
    if let Some(image) = &vm.image {
        c.field("image", |c| absolute_at(c, "path", Rule::Vm, &image.path));
    }
}
