// The mount, umount and exec verbs.
#pragma once

#include <string>
#include <vector>

namespace mdevsim {

// `host_file` empty means the embedded default host.
int cmd_mount(const std::string& host_file, const std::string& mountpoint, bool foreground);
int cmd_umount(const std::string& mountpoint);
int cmd_exec(const std::string& host_file, const std::vector<std::string>& command);

}  // namespace mdevsim
