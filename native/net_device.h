// net_device: what the kernel says about a network interface's offloads.
//
// Used to decide the scatter/gather assumption of the fetch accounting; needs no root.

#ifndef COPYLESS_NET_DEVICE_H
#define COPYLESS_NET_DEVICE_H

/* Asks the driver whether `ifname` does scatter/gather DMA (ETHTOOL_GSG). Sets *enabled to 0 or 1; returns 0 or an errno. */
int netdev_scatter_gather(const char *ifname, int *enabled);

#endif
