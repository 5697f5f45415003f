//! Every member name the runtime-spec JSON schemas define is known to some
//! model, so no field of the spec ends up in an `extra` map.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use ocikit_runtime_spec as s;

fn schema_names(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            for v in map.values() {
                schema_names(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| schema_names(v, out)),
        _ => {}
    }
}

#[test]
fn every_schema_member_is_modelled() {
    // The schemas of runtime-spec v1.3.0, copied beside the fixtures.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema");
    let mut names = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let value: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            schema_names(&value, &mut names);
            files += 1;
        }
    }
    assert_eq!(files, 16);
    assert!(names.len() > 150, "{} names", names.len());

    let known: BTreeSet<&str> = [
        s::Spec::MEMBERS,
        s::Process::MEMBERS,
        s::ConsoleSize::MEMBERS,
        s::User::MEMBERS,
        s::Capabilities::MEMBERS,
        s::Rlimit::MEMBERS,
        s::Scheduler::MEMBERS,
        s::IoPriority::MEMBERS,
        s::CpuAffinity::MEMBERS,
        s::Root::MEMBERS,
        s::Mount::MEMBERS,
        s::IdMapping::MEMBERS,
        s::Hooks::MEMBERS,
        s::Hook::MEMBERS,
        s::Linux::MEMBERS,
        s::Namespace::MEMBERS,
        s::Device::MEMBERS,
        s::NetDevice::MEMBERS,
        s::IntelRdt::MEMBERS,
        s::MemoryPolicy::MEMBERS,
        s::Personality::MEMBERS,
        s::TimeOffsets::MEMBERS,
        s::TimeOffset::MEMBERS,
        s::Resources::MEMBERS,
        s::DeviceCgroup::MEMBERS,
        s::Memory::MEMBERS,
        s::Cpu::MEMBERS,
        s::Pids::MEMBERS,
        s::BlockIo::MEMBERS,
        s::WeightDevice::MEMBERS,
        s::ThrottleDevice::MEMBERS,
        s::HugepageLimit::MEMBERS,
        s::Network::MEMBERS,
        s::InterfacePriority::MEMBERS,
        s::Rdma::MEMBERS,
        s::Seccomp::MEMBERS,
        s::Syscall::MEMBERS,
        s::SyscallArg::MEMBERS,
        s::FreeBsd::MEMBERS,
        s::FreeBsdDevice::MEMBERS,
        s::Jail::MEMBERS,
        s::JailAllow::MEMBERS,
        s::Solaris::MEMBERS,
        s::Anet::MEMBERS,
        s::CappedCpu::MEMBERS,
        s::CappedMemory::MEMBERS,
        s::Windows::MEMBERS,
        s::WindowsDevice::MEMBERS,
        s::WindowsResources::MEMBERS,
        s::WindowsMemory::MEMBERS,
        s::WindowsCpu::MEMBERS,
        s::CpuGroupAffinity::MEMBERS,
        s::WindowsStorage::MEMBERS,
        s::HyperV::MEMBERS,
        s::WindowsNetwork::MEMBERS,
        s::Vm::MEMBERS,
        s::Hypervisor::MEMBERS,
        s::VmKernel::MEMBERS,
        s::VmImage::MEMBERS,
        s::HwConfig::MEMBERS,
        s::IoMem::MEMBERS,
        s::Zos::MEMBERS,
        s::State::MEMBERS,
        s::Features::MEMBERS,
        s::LinuxFeatures::MEMBERS,
        s::Enabled::MEMBERS,
        s::CgroupFeatures::MEMBERS,
        s::SeccompFeatures::MEMBERS,
        s::IntelRdtFeatures::MEMBERS,
        s::MountExtensions::MEMBERS,
        s::MemoryPolicyFeatures::MEMBERS,
    ]
    .concat()
    .into_iter()
    .collect();

    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !known.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "members of the schemas no model knows: {missing:?}"
    );
}
