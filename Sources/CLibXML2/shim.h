#ifndef CUTOVER_CLIBXML2_SHIM_H
#define CUTOVER_CLIBXML2_SHIM_H

// Debian's libxml2 headers pull in ICU, whose types clash with Foundation's own ICU module
// ("'UErrorCode' has different definitions in different modules"): drop the ICU part before the rest.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlsave.h>

// xmlFree is a mutable global function pointer, which Swift 6 cannot touch directly.
static inline void cutover_xml_free(void *pointer) { xmlFree(pointer); }

// libxml2 reports errors through callbacks; this one swallows them (they are read from the context instead).
static inline void cutover_xml_silent_errors(void *context, xmlErrorPtr error) { (void)context; (void)error; }

static inline int cutover_xml_version(void) { return LIBXML_VERSION; }

#endif
