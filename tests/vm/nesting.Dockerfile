# The nesting suite's workspace images (tests/vm/nesting.bats), built by
# vm.sh on this machine from Debian packages and handed to the guest's
# registry on the image disk:
#   dind     Debian with docker.io and the user coder; no /sbin/init (envbox
#            runs sleep as PID 1): the workspace's root starts dockerd itself
#   systemd  the same with systemd as /sbin/init; docker.service enabled
ARG BASE_IMAGE=envbox-base:bookworm
FROM ${BASE_IMAGE} AS dind
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		docker.io iptables iproute2 procps ca-certificates \
	&& rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log
RUN useradd --uid 1000 --user-group --create-home --shell /bin/bash coder \
	&& usermod -aG docker coder

FROM dind AS systemd
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		systemd systemd-sysv dbus \
	&& rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log \
	&& systemctl enable docker.service containerd.service \
	&& systemctl set-default multi-user.target
