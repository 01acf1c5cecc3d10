# The envbox image: the outer container of a workspace.
#
#   docker build -t envbox:latest .
#   docker build -t envbox:latest --build-arg SYSBOX_DEB=sysbox-ce_0.6.4-0.linux_amd64.deb .
#   docker run ... --privileged ... envbox:latest /envbox docker   (README.md)
#
# BASE_IMAGE is any Debian bookworm image; the test suite (tests/image.bats)
# builds with an image made by debootstrap, since it has no registry to pull
# from. SYSBOX_DEB names a sysbox .deb in the build context (top level, or
# under sysbox/; see .dockerignore): with it the workspace runs under
# sysbox-runc, without it under runc with dockerd's user namespace remapping.
ARG BASE_IMAGE=debian:bookworm-slim

# ---- build: compile and install envbox into /out ----------------------------
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		gcc libc6-dev make pkg-config \
		libcurl4-openssl-dev libblkid-dev libjsmn-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY applets applets/
COPY lib lib/
COPY docs docs/
COPY scripts/md2man scripts/cgroup-v2-prelude scripts/
COPY profiles profiles/
RUN make -j"$(nproc)" BUILD=/tmp/build \
	&& make install BUILD=/tmp/build PREFIX=/usr/local DESTDIR=/out

# ---- sysbox: the package, when given, in /debs (empty without it) ---------
# A stage of its own, so adding a package does not rebuild envbox, and a
# missing file fails here with its name.
FROM ${BASE_IMAGE} AS sysbox
ARG SYSBOX_DEB=
COPY . /ctx/
RUN mkdir /debs \
	&& if [ -n "$SYSBOX_DEB" ]; then cp "/ctx/$SYSBOX_DEB" /debs/; fi

# ---- the image --------------------------------------------------------------
FROM ${BASE_IMAGE}
# docker.io brings dockerd, containerd, runc and iptables; fuse3 for
# CODER_ADD_FUSE; fuse-overlayfs for the disk-full fallback (layers shared,
# where vfs copies each in full); libcurl4 (libblkid1 is in every Debian) for
# envbox itself. envbox-xid tells filesystems apart through libblkid and
# needs no mkfs tools: xfsprogs would bring python3 and libicu (60 MB).
# No documentation or translations (as in debian:bookworm-slim), no
# compilers, no -dev packages.
RUN printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
		'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
		'path-exclude /usr/share/locale/*' >/etc/dpkg/dpkg.cfg.d/envbox-slim \
	&& apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		docker.io ca-certificates iproute2 util-linux e2fsprogs fuse3 fuse-overlayfs \
		libcurl4 libblkid1 \
	&& rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log
# The user dockerd --userns-remap=coder maps the workspace to: its root is
# host uid 100000. envbox would add these at start; the image has them.
RUN useradd --uid 1000 --user-group --create-home --shell /bin/bash coder \
	&& sed -i '/^coder:/d' /etc/subuid /etc/subgid \
	&& echo coder:100000:65536 >>/etc/subuid \
	&& echo coder:100000:65536 >>/etc/subgid
COPY --from=sysbox /debs/ /tmp/debs/
RUN if ls /tmp/debs/*.deb >/dev/null 2>&1; then \
		apt-get update \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/debs/*.deb \
		&& rm -rf /var/lib/apt/lists/*; \
	fi \
	&& rm -rf /tmp/debs
COPY --from=build /out/ /
# `/envbox docker` is the command the Coder templates and README use.
RUN ln -s /usr/local/bin/envbox /envbox
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# dockerd's data root (/var/lib/docker) and the workspace's
# (/var/lib/coder/docker) belong on volumes.
CMD ["/envbox", "docker"]
