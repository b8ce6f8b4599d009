/* PNG output of a rendered surface (libpng). */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

#include "view_internal.h"

bool view_write_png(SDL_Surface *surface, const char *path, CityError *err)
{
    SDL_Surface *rgb = SDL_ConvertSurfaceFormat(surface, SDL_PIXELFORMAT_RGB24, 0);
    if (!rgb) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot convert the picture (%s)", path, SDL_GetError());
        return false;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot write the screenshot; check that the folder exists", path);
        SDL_FreeSurface(rgb);
        return false;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    volatile bool ok = png && info;
    if (ok && setjmp(png_jmpbuf(png))) {
        ok = false;
    } else if (ok) {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)rgb->w, (png_uint_32)rgb->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < rgb->h; y++)
            png_write_row(png, (png_const_bytep)rgb->pixels + (size_t)y * (size_t)rgb->pitch);
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0)
        ok = false;
    SDL_FreeSurface(rgb);
    if (!ok) {
        remove(path);
        city_error_set(err, CITY_ERR_IO, "%s: writing the PNG failed (disk full?)", path);
    }
    return ok;
}
