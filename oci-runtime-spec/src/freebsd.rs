//! The FreeBSD section of config.json (`freebsd`): devices and jail settings.
//!
//! Implements runtime-spec config-freebsd.md.

use crate::codec::{model, string_enum};

model! {
    /// FreeBSD-specific configuration (`freebsd`).
    pub struct FreeBsd ("a freebsd object") {
        /// OPTIONAL. Devices made available in the container, by devfs
        /// rules.
        devices: Vec<FreeBsdDevice> => "devices" (vec),
        /// OPTIONAL. Jail parameters.
        jail: Option<Jail> => "jail" (opt),
    }
}

model! {
    /// A device of the container (an entry of `freebsd.devices`).
    pub struct FreeBsdDevice ("a FreeBSD device object") {
        /// REQUIRED. Device path relative to `/dev`.
        path: String => "path" (req),
        /// OPTIONAL. File mode of the device.
        mode: Option<u32> => "mode" (opt),
    }
}

model! {
    /// Jail parameters (`freebsd.jail`).
    pub struct Jail ("a jail object") {
        /// OPTIONAL. Name of the parent jail; the host when absent.
        parent: Option<String> => "parent" (opt),
        /// OPTIONAL. Whether the hostname, domain name and host ids are the
        /// container's own (`new`) or the parent's (`inherit`).
        host: Option<SharingModeNoDisable> => "host" (opt),
        /// OPTIONAL. Availability of IPv4 addresses.
        ip4: Option<SharingMode> => "ip4" (opt),
        /// OPTIONAL. IPv4 addresses the container may use, numeric.
        ip4_addr: Vec<String> => "ip4Addr" (vec),
        /// OPTIONAL. Availability of IPv6 addresses.
        ip6: Option<SharingMode> => "ip6" (opt),
        /// OPTIONAL. IPv6 addresses the container may use, numeric.
        ip6_addr: Vec<String> => "ip6Addr" (vec),
        /// OPTIONAL. A new vnet (`new`) or the parent's (`inherit`);
        /// `disable` is not allowed.
        vnet: Option<SharingModeNoDisable> => "vnet" (opt),
        /// OPTIONAL. Interface the container's addresses are added to.
        interface: Option<String> => "interface" (opt),
        /// OPTIONAL. Interfaces moved into the container's vnet.
        vnet_interfaces: Vec<String> => "vnetInterfaces" (vec),
        /// OPTIONAL. SysV message queues; `new` when absent.
        sysvmsg: Option<SharingMode> => "sysvmsg" (opt),
        /// OPTIONAL. SysV semaphores; `new` when absent.
        sysvsem: Option<SharingMode> => "sysvsem" (opt),
        /// OPTIONAL. SysV shared memory; `new` when absent.
        sysvshm: Option<SharingMode> => "sysvshm" (opt),
        /// OPTIONAL. Visibility of mounts (jail's `enforce_statfs`), 0 to 2.
        enforce_statfs: Option<u8> => "enforceStatfs" (opt),
        /// OPTIONAL. Restrictions lifted for the container.
        allow: Option<JailAllow> => "allow" (opt),
    }
}

model! {
    /// Restrictions lifted for a jail (`freebsd.jail.allow`). All off by
    /// default except `setHostname` and `reservedPorts`.
    pub struct JailAllow ("a jail allow object") {
        /// OPTIONAL. May set the hostname.
        set_hostname: Option<bool> => "setHostname" (opt),
        /// OPTIONAL. May use raw sockets.
        raw_sockets: Option<bool> => "rawSockets" (opt),
        /// OPTIONAL. May change system file flags.
        chflags: Option<bool> => "chflags" (opt),
        /// OPTIONAL. Filesystem types the container may mount.
        mount: Vec<String> => "mount" (vec),
        /// OPTIONAL. May manipulate quotas.
        quotas: Option<bool> => "quotas" (opt),
        /// OPTIONAL. May use non-IP socket families.
        socket_af: Option<bool> => "socketAf" (opt),
        /// OPTIONAL. May lock memory.
        mlock: Option<bool> => "mlock" (opt),
        /// OPTIONAL. May bind ports below 1024.
        reserved_ports: Option<bool> => "reservedPorts" (opt),
        /// OPTIONAL. root in the jail has superuser privileges.
        suser: Option<bool> => "suser" (opt),
    }
}

string_enum! {
    /// Whether a jail shares a resource with its parent.
    ///
    /// Closed: config-freebsd.md and defs-freebsd.json list exactly these
    /// values, the jail(8) parameters they map to take no others, and an
    /// unknown one could not be applied.
    pub enum SharingMode (closed, "FreeBSD sharing mode") {
        /// The resource is not available.
        Disable = "disable",
        /// The container gets its own.
        New = "new",
        /// The container shares the parent's (or host's).
        Inherit = "inherit",
    }
}

string_enum! {
    /// [`SharingMode`] without `disable`, for `host` and `vnet`; closed, so
    /// `"vnet": "disable"` is rejected when parsing.
    pub enum SharingModeNoDisable (closed, "FreeBSD sharing mode (new or inherit)") {
        /// The container gets its own.
        New = "new",
        /// The container shares the parent's (or host's).
        Inherit = "inherit",
    }
}
