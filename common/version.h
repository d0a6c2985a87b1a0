/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_VERSION_H
#define WGBAKE_VERSION_H

#ifndef WGBAKE_VERSION
#define WGBAKE_VERSION "0.1.0"
#endif

#endif
