// The legacy ETHTOOL_GSG ioctl reports the NETIF_F_SG feature bit of a device,
// the bit the kernel checks before TCP hands page-cache pages to the device
// instead of copying them into socket buffers (sendfile(2), splice(2)). It is
// what `ethtool -k DEV` shows as "scatter-gather". Reading features needs no
// capability; any socket can carry the ioctl.

#include "net_device.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int netdev_scatter_gather(const char *ifname, int *enabled) {
  if (strlen(ifname) >= IFNAMSIZ) return ENAMETOOLONG;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return errno;
  struct ethtool_value value = {.cmd = ETHTOOL_GSG};
  struct ifreq request;
  memset(&request, 0, sizeof request);
  memcpy(request.ifr_name, ifname, strlen(ifname));
  request.ifr_data = (void *)&value;
  int err = ioctl(sock, SIOCETHTOOL, &request) == 0 ? 0 : errno;
  close(sock);
  if (err == 0) *enabled = value.data != 0;
  return err;
}
