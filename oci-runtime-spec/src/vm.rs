//! The virtual-machine section of config.json (`vm`), for runtimes that run
//! containers in hardware-virtualised machines.
//!
//! Implements runtime-spec config-vm.md.

use crate::codec::{model, string_enum};

model! {
    /// Virtual-machine configuration (`vm`).
    pub struct Vm ("a vm object") {
        /// OPTIONAL. The hypervisor.
        hypervisor: Option<Hypervisor> => "hypervisor" (opt),
        /// REQUIRED. The kernel to boot.
        kernel: VmKernel => "kernel" (req),
        /// OPTIONAL. The root image.
        image: Option<VmImage> => "image" (opt),
        /// OPTIONAL. Hardware configuration.
        hw_config: Option<HwConfig> => "hwConfig" (opt),
    }
}

model! {
    /// The hypervisor (`vm.hypervisor`).
    pub struct Hypervisor ("a hypervisor object") {
        /// REQUIRED. Absolute path of the hypervisor binary on the host.
        path: String => "path" (req),
        /// OPTIONAL. Parameters passed to the hypervisor.
        parameters: Vec<String> => "parameters" (vec),
    }
}

model! {
    /// The kernel (`vm.kernel`).
    pub struct VmKernel ("a kernel object") {
        /// REQUIRED. Absolute path of the kernel on the host.
        path: String => "path" (req),
        /// OPTIONAL. Kernel command-line parameters.
        parameters: Vec<String> => "parameters" (vec),
        /// OPTIONAL. Absolute path of an initial ramdisk on the host.
        initrd: Option<String> => "initrd" (opt),
    }
}

model! {
    /// The root image (`vm.image`).
    pub struct VmImage ("an image object") {
        /// REQUIRED. Absolute path of the image on the host.
        path: String => "path" (req),
        /// REQUIRED. Image format.
        format: ImageFormat => "format" (req),
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

model! {
    /// Hardware configuration (`vm.hwConfig`).
    pub struct HwConfig ("a hwConfig object") {
        /// OPTIONAL. Path of the device tree on the host.
        device_tree: Option<String> => "deviceTree" (opt),
        /// OPTIONAL. Number of virtual CPUs.
        vcpus: Option<u32> => "vcpus" (opt),
        /// OPTIONAL. Memory, MiB.
        memory: Option<u64> => "memory" (opt),
        /// OPTIONAL. Host device tree nodes passed through.
        dtdevs: Vec<String> => "dtdevs" (vec),
        /// OPTIONAL. I/O memory ranges passed through.
        iomems: Vec<IoMem> => "iomems" (vec),
        /// OPTIONAL. Physical IRQs passed through.
        irqs: Vec<u32> => "irqs" (vec),
    }
}

model! {
    /// An I/O memory range (an entry of `vm.hwConfig.iomems`), in pages.
    pub struct IoMem ("an iomem object") {
        /// OPTIONAL. First guest frame number; `firstMFN` when absent.
        first_gfn: Option<u64> => "firstGFN" (opt),
        /// REQUIRED. First machine frame number.
        first_mfn: u64 => "firstMFN" (req),
        /// REQUIRED. Number of frames.
        nr_mfns: u64 => "nrMFNs" (req),
    }
}
